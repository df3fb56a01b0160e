"""Accuracy per topic, week by week (pure): the weeks, the buckets, and what goes on the stats chart."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from bot.core.chart import Cell, GridChart
from bot.core.content.library import ContentLibrary
from bot.core.quiz.model import StoredAnswer
from bot.core.quiz.progress import WEEK_MS, accuracy_chart, topic_label, week_starts, weekly_accuracy
from tests.helpers import CONTENT

MODULE = ContentLibrary.load(CONTENT).modules["ketamine"]
NOW = int(datetime(2026, 11, 26, 15, 30, tzinfo=UTC).timestamp() * 1000)
"""A Thursday afternoon: this week began on Monday 23 November 2026."""
MONDAY = int(datetime(2026, 11, 23, tzinfo=UTC).timestamp() * 1000)


def answer(topic: str, correct: bool, at_ms: int) -> StoredAnswer:
    return StoredAnswer(
        session_id=1, position=0, user_id=5, guild_id=10, topic=topic, choice=0, correct=correct, points=0,
        answered_ms=at_ms,
    )  # fmt: skip


def test_the_window_is_this_week_and_the_seven_before_from_monday_utc() -> None:
    starts = week_starts(NOW)
    assert len(starts) == 8 and starts[-1] == MONDAY
    assert [b - a for a, b in itertools.pairwise(starts)] == [WEEK_MS] * 7
    assert datetime.fromtimestamp(starts[0] / 1000, tz=UTC) == datetime(2026, 10, 5, tzinfo=UTC)
    assert week_starts(MONDAY) == starts, "Monday 00:00 belongs to the week it starts"


def test_answers_fall_into_their_topic_and_week() -> None:
    first = week_starts(NOW)[0]
    answers = [
        answer("risks", True, NOW),
        answer("risks", False, MONDAY),  # the first moment of this week
        answer("risks", True, MONDAY - 1),  # the last moment of last week
        answer("mechanism", True, first),  # the first moment of the window
        answer("mechanism", False, first + 3 * WEEK_MS + 5),
        answer("mechanism", True, first - 1),  # before the window: left out
        answer("uses", True, first - WEEK_MS),  # a topic answered only before the window: no row
    ]
    weeks = weekly_accuracy(answers, NOW)
    assert [w.topic for w in weeks] == ["mechanism", "risks"]
    mechanism, risks = weeks
    assert mechanism.answered == (1, 0, 0, 1, 0, 0, 0, 0) and mechanism.right == (1, 0, 0, 0, 0, 0, 0, 0)
    assert risks.answered == (0, 0, 0, 0, 0, 0, 1, 2) and risks.right == (0, 0, 0, 0, 0, 0, 1, 1)


def test_answers_after_now_are_left_out() -> None:
    """A clock that moved back (or an answer stored by another host) never lands outside the eight columns."""
    assert weekly_accuracy([answer("risks", True, MONDAY + WEEK_MS)], NOW) == []


def test_the_chart_has_a_row_per_topic_in_content_order_and_a_cell_per_week() -> None:
    answers = [
        answer("risks", True, NOW),
        answer("risks", True, NOW),
        answer("risks", False, NOW),
        answer("overview", False, MONDAY - 2 * WEEK_MS),
        answer("a-topic-no-longer-in-the-content", True, NOW),
    ]
    chart = accuracy_chart(MODULE, answers, NOW)
    assert chart is not None
    assert chart.row_labels == ("Overview", "Risks", "A topic no longer in th…")
    assert chart.column_labels == ("5 Oct", "12 Oct", "19 Oct", "26 Oct", "2 Nov", "9 Nov", "16 Nov", "This week")
    overview, risks, gone = chart.cells
    assert overview[5] == Cell(value=0.0, text="0%", note="0 of 1")
    assert [c is None for c in overview] == [True] * 5 + [False, True, True]
    last = risks[-1]
    assert last is not None and (last.text, last.note) == ("67%", "2 of 3") and last.value == pytest.approx(200 / 3)
    assert gone[-1] == Cell(value=100.0, text="100%", note="1 of 1")
    assert (chart.low, chart.high, chart.scale_suffix) == (0, 100, "%")
    assert chart.title == "Accuracy per topic, last 8 weeks" and "grey" in chart.column_title
    assert (chart.width_px, chart.height_px) == (800, 280), "three rows: a shorter picture"


def test_every_topic_fits_and_the_picture_stays_small() -> None:
    answers = [answer(topic.id, i % 2 == 0, NOW - i * WEEK_MS) for i, topic in enumerate(MODULE.topics)]
    chart = accuracy_chart(MODULE, answers, NOW)
    assert chart is not None
    assert chart.row_labels == tuple(topic_label(t.id) for t in sorted(MODULE.topics, key=lambda t: t.order))
    assert (chart.width_px, chart.height_px) == (800, 400)
    assert topic_label("psychological-effects") == "Psychological effects"


def test_no_chart_without_answers_in_the_window() -> None:
    assert accuracy_chart(MODULE, [], NOW) is None
    assert accuracy_chart(MODULE, [answer("risks", True, week_starts(NOW)[0] - 1)], NOW) is None


def test_a_chart_refuses_cells_that_do_not_match_its_labels() -> None:
    with pytest.raises(ValueError, match="2 cells for 3 columns"):
        GridChart("t", ("row",), ("a", "b", "c"), ((None, None),), "x", "y")
    with pytest.raises(ValueError, match="at least one row"):
        GridChart("t", (), ("a",), (), "x", "y")
