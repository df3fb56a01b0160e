"""A member's progress over time: accuracy per topic, week by week, and the chart that shows it.

Weeks are the leaderboard's weeks (Monday 00:00 UTC, ``week_start_ms``), so "this week" means the same thing in
``/ketamine leaderboard`` and on the chart. The window is the current week and the ones before it; answers
outside it are left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.core.chart import Cell, GridChart
from bot.core.content.library import ContentModule
from bot.core.quiz.model import StoredAnswer
from bot.core.quiz.scoring import week_start_ms
from bot.core.words import plural

WEEK_MS = 7 * 86_400_000
WEEKS = 8
"""Weeks on the chart: the current one and the seven before it."""
CHART_FILENAME = "accuracy-by-topic.png"
LABEL_CHARS = 24
"""A row label longer than this is cut (a quarter of the chart's width at most)."""


@dataclass(frozen=True)
class TopicWeeks:
    """One topic's answers per week, oldest week first."""

    topic: str
    right: tuple[int, ...]
    answered: tuple[int, ...]


def week_starts(now_ms: int, weeks: int = WEEKS) -> tuple[int, ...]:
    """The start of each week in the window, oldest first; the last is the week containing ``now_ms``."""
    current = week_start_ms(now_ms)
    return tuple(current - (weeks - 1 - i) * WEEK_MS for i in range(weeks))


def weekly_accuracy(answers: Iterable[StoredAnswer], now_ms: int, weeks: int = WEEKS) -> list[TopicWeeks]:
    """Per topic with at least one answer in the window: right and answered per week. Sorted by topic id."""
    first = week_starts(now_ms, weeks)[0]
    right: dict[str, list[int]] = {}
    answered: dict[str, list[int]] = {}
    for answer in answers:
        index = (answer.answered_ms - first) // WEEK_MS
        if not 0 <= index < weeks:
            continue
        if answer.topic not in answered:
            right[answer.topic], answered[answer.topic] = [0] * weeks, [0] * weeks
        answered[answer.topic][index] += 1
        right[answer.topic][index] += int(answer.correct)
    return [TopicWeeks(topic, tuple(right[topic]), tuple(answered[topic])) for topic in sorted(answered)]


def week_label(start_ms: int) -> str:
    """The Monday a week starts on, as the chart names it: "17 Nov" (UTC)."""
    day = datetime.fromtimestamp(start_ms / 1000, tz=UTC)
    return f"{day.day} {day:%b}"


def topic_label(topic_id: str) -> str:
    """A short row label: the topic's id in words ("physical-effects" -> "Physical effects"). Titles are whole
    headlines, too long beside an 800-pixel chart."""
    words = topic_id.replace("-", " ").replace("_", " ")
    words = words[:1].upper() + words[1:]
    return words if len(words) <= LABEL_CHARS else words[: LABEL_CHARS - 1] + "…"


def accuracy_chart(
    module: ContentModule, answers: Iterable[StoredAnswer], now_ms: int, weeks: int = WEEKS
) -> GridChart | None:
    """Accuracy per topic over the last ``weeks`` weeks: a row per topic answered in the window (in the module's
    topic order; a topic no longer in the content last), a column per week (the last is this week), each cell the
    week's accuracy and how many answers it rests on. None when there is nothing to draw."""
    per_topic = weekly_accuracy(answers, now_ms, weeks)
    if not per_topic:
        return None
    order = {topic.id: topic.order for topic in module.topics}
    per_topic.sort(key=lambda t: (t.topic not in order, order.get(t.topic, 0), t.topic))
    columns = [week_label(start) for start in week_starts(now_ms, weeks)]
    columns[-1] = "This week"
    return GridChart(
        title=f"Accuracy per topic, last {plural(weeks, 'week')}",
        row_labels=tuple(topic_label(t.topic) for t in per_topic),
        column_labels=tuple(columns),
        cells=tuple(
            tuple(
                None if n == 0 else Cell(value=100 * r / n, text=f"{100 * r / n:.0f}%", note=f"{r} of {n}")
                for r, n in zip(t.right, t.answered, strict=True)
            )
            for t in per_topic
        ),
        column_title="Week starting Monday (UTC); grey: no answers that week",
        scale_title="Right answers",
        scale_suffix="%",
        height_px=min(400, 160 + 40 * len(per_topic)),  # rows of a readable height, however few
    )
