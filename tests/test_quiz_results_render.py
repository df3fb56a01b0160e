"""The results message: medals go to the top three who scored; a player with no points is ranked, not decorated."""

from __future__ import annotations

from bot.core.content.library import ContentLibrary
from bot.core.quiz import render as quiz_render
from bot.core.quiz.scoring import Standing
from tests.helpers import CONTENT

MODULE = ContentLibrary.load(CONTENT).modules["ketamine"]


def _lines(table: list[Standing]) -> list[str]:
    body = quiz_render.results_reply(MODULE, table, {}, asked=3, stopped=False).body
    assert isinstance(body, str)
    return body.splitlines()


def test_the_top_three_who_scored_get_medals_in_order() -> None:
    table = [
        Standing(user_id=u, points=300 - 100 * i, correct=3 - i, answered=3, fastest_ms=900)
        for i, u in enumerate((1, 2, 3))
    ]
    table.append(Standing(user_id=4, points=0, correct=0, answered=3, fastest_ms=None))
    assert [line.split(" ", 1)[0] for line in _lines(table)] == ["🥇", "🥈", "🥉", "4."]


def test_nobody_gets_a_medal_for_scoring_nothing() -> None:
    table = [
        Standing(user_id=1, points=120, correct=1, answered=2, fastest_ms=1500),
        Standing(user_id=2, points=0, correct=0, answered=2, fastest_ms=None),
        Standing(user_id=3, points=0, correct=0, answered=1, fastest_ms=None),
    ]
    assert [line.split(" ", 1)[0] for line in _lines(table)] == ["🥇", "2.", "3."]
    alone = _lines([Standing(user_id=1, points=0, correct=0, answered=1, fastest_ms=None)])
    assert alone[0].startswith("1. ") and "0 pts" in alone[0]
