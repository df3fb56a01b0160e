"""After the scale run: the database and the fake's records set side by side.

- **Lost**: a click the bot acknowledged ("Locked in") with no answer row for that member and question.
- **Doubled**: a question posted more than once for one position of a quiz, a reveal edit shown more than once
  on one question, a results post more than once in one channel. (An answer cannot be stored twice: its primary
  key is the quiz, the position and the member.)
- **Reveal lateness**: when the fake received the edit showing a question's answer, after the moment it was due:
  the question's deadline, or, from the second question on, the moment the last of the earlier questions' players
  answered it, if that came first (the bot's early-reveal rule: ``bot.core.quiz.scoring.reveal_early``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from bench.scale.fake import Posts
from bench.scale.players import Click


@dataclass
class Audit:
    acknowledged: int = 0
    stored: int = 0
    lost: list[tuple[int, int]] = field(default_factory=list)
    """(question message id, member) acknowledged but not stored."""
    stored_unacknowledged: int = 0
    """Answers stored whose click the fake saw no accepted "Locked in" for (a callback too late or refused)."""
    questions_expected: int = 0
    questions_posted: int = 0
    questions_doubled: int = 0
    reveals_doubled: int = 0
    """Questions whose answer was shown with two different contents (revealed twice)."""
    reveal_edits_repeated: int = 0
    """Edits showing a reveal again with the same content (harmless; counted to see takeovers under load)."""
    results_doubled: int = 0
    unrevealed: int = 0
    """Questions asked whose answer was never shown."""
    quizzes_finished: int = 0
    quizzes: int = 0
    reveal_lateness_ms: list[float] = field(default_factory=list)
    early_reveals: int = 0


Row = Mapping[str, Any]


async def audit(database_url: str, clicks: Iterable[Click], posts: Posts, questions_per_quiz: int) -> Audit:
    """Read the quizzes, their questions and answers from the database, then ``judge``."""
    conn = await asyncpg.connect(database_url)
    try:
        sessions = await conn.fetch("SELECT id, channel_id, state FROM quiz_sessions")
        questions = await conn.fetch(
            "SELECT session_id, position, message_id, deadline_ms FROM quiz_questions WHERE message_id IS NOT NULL"
        )
        answers = await conn.fetch("SELECT session_id, position, user_id, answered_ms FROM quiz_answers")
    finally:
        await conn.close()
    return judge(
        [dict(row) for row in sessions],
        [dict(row) for row in questions],
        [dict(row) for row in answers],
        clicks,
        posts,
        questions_per_quiz,
    )


def judge(
    sessions: Sequence[Row],
    questions: Sequence[Row],
    answers: Sequence[Row],
    clicks: Iterable[Click],
    posts: Posts,
    questions_per_quiz: int,
) -> Audit:
    """The database's rows (quiz_sessions, quiz_questions posted, quiz_answers) against the fake's records."""
    result = Audit(quizzes=len(sessions), questions_expected=len(sessions) * questions_per_quiz)
    result.quizzes_finished = sum(1 for row in sessions if row["state"] == "finished")
    message_of = {(row["session_id"], row["position"]): int(row["message_id"]) for row in questions}
    stored = {(message_of[(row["session_id"], row["position"])], int(row["user_id"])) for row in answers}
    acked = {(click.message_id, click.user_id) for click in clicks if click.acknowledged}
    result.acknowledged, result.stored = len(acked), len(stored)
    result.lost = sorted(acked - stored)
    result.stored_unacknowledged = len(stored - acked)

    result.questions_posted = len(posts.questions)
    posted_in = Counter(posts.question_channel.values())
    asked_in = Counter(row["session_id"] for row in questions)
    result.questions_doubled = sum(max(0, posted_in[int(row["channel_id"])] - asked_in[row["id"]]) for row in sessions)
    result.reveals_doubled = sum(len(contents) - 1 for contents in posts.reveal_contents.values())
    result.reveal_edits_repeated = sum(count - 1 for count in posts.reveal_edits.values()) - result.reveals_doubled
    result.results_doubled = sum(count - 1 for count in posts.results.values() if count > 1)

    by_question: dict[tuple[int, int], dict[int, float]] = defaultdict(dict)
    for row in answers:
        by_question[(row["session_id"], row["position"])][int(row["user_id"])] = float(row["answered_ms"])
    for row in questions:
        key = (row["session_id"], row["position"])
        revealed = posts.reveals.get(int(row["message_id"]))
        if revealed is None:
            result.unrevealed += 1
            continue
        due = float(row["deadline_ms"])
        if row["position"] > 0:
            earlier = set().union(*(by_question[(key[0], p)].keys() for p in range(row["position"])))
            now = by_question[key]
            if earlier and earlier <= now.keys():
                completed = max(now[user] for user in earlier)
                if completed < due:
                    due = completed
                    result.early_reveals += 1
        result.reveal_lateness_ms.append(revealed - due)
    return result
