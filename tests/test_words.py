"""Counted words read right: "1 question", "1 player", never "1 questions"; and none are built by hand."""

from __future__ import annotations

import re

import pytest

from bot.core.words import IRREGULAR, noun, plural, plural_of
from bot.discord_app.markup import markup
from bot.services.bundle import Services
from bot.services.catalog import Caller
from bot.settings import PROJECT_ROOT
from tests.quizkit import RecordingPublisher

ADMIN = Caller(user_id=1, display_name="admin", guild_id=10, channel_id=20, can_manage_guild=True)

COUNT_WORDS = (
    "questions|players|answers|points|pts|members|days|hours|seconds|cards|channels|topics|servers|pages|"
    "problems|sources|quizzes"
)
HAND_BUILT = re.compile(rf"((?<!/)\{{[^{{}}\n]*\}}|%d) (?:{COUNT_WORDS})\b|\(s\)")
"""A count placed in front of a plural by hand (``f"{n} questions"``, ``"%d servers"``, ``"problem(s)"``); a
command name such as ``/{module.id} topics`` is not a count."""


@pytest.mark.parametrize(
    ("count", "word", "expected"),
    [
        (1, "question", "1 question"),
        (0, "question", "0 questions"),
        (2, "player", "2 players"),
        (-1, "point", "-1 point"),
        (1, "quiz", "1 quiz"),
        (3, "quiz", "3 quizzes"),
        (2, "quiz answer", "2 quiz answers"),
        (2, "entry", "2 entries"),
        (2, "day", "2 days"),
        (2, "match", "2 matches"),
        (2, "pt", "2 pts"),
        (2, "Quiz", "2 Quizzes"),
    ],
)
def test_plural(count: int, word: str, expected: str) -> None:
    assert plural(count, word) == expected


def test_an_explicit_plural_wins_and_the_table_is_data() -> None:
    assert plural(2, "person") == "2 people" and plural(2, "cactus", "cacti") == "2 cacti"
    assert noun(1, "cactus", "cacti") == "cactus"
    assert all(plural_of(word) == form for word, form in IRREGULAR.items())


def test_no_count_word_is_built_by_hand_in_the_bot() -> None:
    found = [
        f"{path.relative_to(PROJECT_ROOT)}:{number}: {line.strip()}"
        for path in sorted((PROJECT_ROOT / "bot").rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if HAND_BUILT.search(line)
    ]
    assert found == [], "use bot.core.words.plural:\n" + "\n".join(found)


async def test_a_one_question_quiz_with_one_player_and_one_answer(services: Services) -> None:
    router = services.router
    await router.run(ADMIN, "ketamine-admin", "settings set", {"setting": "points", "value": "10"})
    started = await router.run(ADMIN, "ketamine", "quiz start", {"questions": 1})
    assert started.body.startswith("1 question, ") and "score 10 points" in started.body
    publisher = services.quiz.publisher
    assert isinstance(publisher, RecordingPublisher)
    await publisher.wait_until(lambda: any(r.buttons for _, _, r in publisher.posts))
    _, _, question = next(p for p in publisher.posts if p[2].buttons)
    await router.press(ADMIN, question.buttons[0].action)
    status = await router.run(ADMIN, "ketamine", "quiz status", {})
    assert "1 player so far, 1 answer." in markup(status.body), status.body

    export = await router.run(ADMIN, "ketamine", "privacy export", {})
    assert (
        "1 quiz answer, 1 display name, 1 quiz started, 1 settings change." in export.body
    ), export.body
    ask = await router.run(ADMIN, "ketamine", "privacy forget", {})
    done = await router.press(ADMIN, ask.buttons[0].action)
    assert done.body.startswith("1 answer, "), done.body
