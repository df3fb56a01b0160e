"""The scale benchmark (``make bench ARGS="--scale"``): its audit's arithmetic, and a small run end to end.

What the README reports for issue 14 (answers lost, reveals doubled, how late reveals came) comes from
``bench.scale.audit.judge``; a wrong join or a wrong "due" time would make it say something else than it seems.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

from bench.scale.audit import judge
from bench.scale.fake import Posts
from bench.scale.players import Click
from bench.scale.report import targets
from tests.botkit.process import PROJECT_ROOT, SETTING_VARIABLES
from tests.fakediscord import InteractionHandle, InteractionRecord
from tests.helpers import without_postgres
from tests.postgres import PostgresMissing, find_binaries

CHANNEL = 100
LOCKED_IN = {"type": 4, "data": {"flags": 64, "embeds": [{"title": "Locked in: A"}]}}


def click(message_id: int, user_id: int, callback: dict[str, Any] | None = LOCKED_IN) -> Click:
    record = InteractionRecord(id=message_id * 100 + user_id, token="t", type=3, payload={}, callback=callback)
    return Click(CHANNEL, message_id, user_id, InteractionHandle(cast(Any, None), record))


def test_the_audit_finds_lost_answers_doubled_reveals_and_when_each_reveal_was_due() -> None:
    sessions = [{"id": 1, "channel_id": CHANNEL, "state": "finished"}]
    questions = [
        {"session_id": 1, "position": 0, "message_id": 1000, "deadline_ms": 10_000},
        {"session_id": 1, "position": 1, "message_id": 1001, "deadline_ms": 40_000},
    ]
    answers = [
        {"session_id": 1, "position": 0, "user_id": 1, "answered_ms": 5_000},
        {"session_id": 1, "position": 0, "user_id": 2, "answered_ms": 6_000},
        {"session_id": 1, "position": 1, "user_id": 1, "answered_ms": 31_000},
        {"session_id": 1, "position": 1, "user_id": 2, "answered_ms": 32_000},
    ]
    clicks = [click(1000, 1), click(1000, 2), click(1001, 1), click(1001, 2), click(1001, 3), click(1001, 4, None)]
    posts = Posts(
        questions={1000: 0.0, 1001: 30_000.0},
        question_channel={1000: CHANNEL, 1001: CHANNEL},
        reveals={1000: 10_050.0, 1001: 32_200.0},
    )
    posts.reveal_edits.update({1000: 2, 1001: 2})  # 1000: shown again alike; 1001: shown with two contents
    posts.reveal_contents.update({1000: {"a"}, 1001: {"b", "c"}})
    posts.results[CHANNEL] = 1

    audit = judge(sessions, questions, answers, clicks, posts, questions_per_quiz=2)

    assert audit.lost == [(1001, 3)], "acknowledged and not stored; member 4 was never acknowledged"
    assert (audit.acknowledged, audit.stored, audit.stored_unacknowledged) == (5, 4, 0)
    # Question 1 was due at its deadline; question 2 when member 2, the last of the earlier players, answered it.
    assert audit.reveal_lateness_ms == [50.0, 200.0] and audit.early_reveals == 1
    assert (audit.reveals_doubled, audit.reveal_edits_repeated, audit.results_doubled) == (1, 1, 0)
    assert (audit.questions_posted, audit.questions_doubled, audit.unrevealed, audit.quizzes_finished) == (2, 0, 0, 1)


def test_a_small_scale_run_meets_every_target(tmp_path: Path) -> None:
    """Two processes, each holding two of four shards of the sharded fake, on one durable PostgreSQL: four quizzes,
    three members answering both questions. Everything acknowledged, stored once, revealed once, finished."""
    try:
        find_binaries()
    except PostgresMissing as exc:
        without_postgres(exc)
    output = tmp_path / "scale.json"
    args = "--quizzes 4 --members 3 --questions 2 --seconds 5 --reveal 0.5 --spread 1 --quiet-wait 0"
    env = {k: v for k, v in os.environ.items() if k not in SETTING_VARIABLES}
    ran = subprocess.run(
        [sys.executable, "-m", "bench", "--scale", *args.split(), "--output", str(output)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    document = json.loads(output.read_text())
    assert document["clicks"]["acknowledged"] == document["clicks"]["planned"] == 4 * 3 * 2
    assert document["integrity"]["stored"] == 24 and document["integrity"]["lost"] == 0
    assert document["reveals"]["count"] == 8 and document["quizzes"]["finished"] == 4
    assert document["problem_count"] == 0, document["problems"]
    assert [what for what, _, passed in targets(document) if not passed] == []
    assert "Scale targets (issue 14)" in ran.stdout
