"""A member's deck as a whole: which cards are due and in what order, what practice offers, mastery and streaks.

Pure functions over cards and questions; the questions passed in are always the *eligible* ones (see the review
service's ``eligible_questions``), so a card whose question left the content, or is not on the chosen topic, is
simply never looked at here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.content.models import Question
from bot.core.review.scheduling import ReviewCard

SESSION_CARDS = 20
"""Cards in one review or practice session at most: about ten minutes' work, and a due pile never becomes a wall."""

MATURE_DAYS = 21.0
"""A card is *mastered* once its FSRS stability reaches 21 days. Stability is the interval after which recall is
still predicted at 90 %, so this is the point where FSRS would next ask about the card three weeks or more later:
the "mature card" threshold Anki has long used (an interval of 21 days or more), applied to FSRS's own measure of
memory rather than to the interval alone, so a card counts once memory is that durable, however it got there."""


def due_cards(cards: Iterable[ReviewCard], eligible: Sequence[Question], now_ms: int) -> list[ReviewCard]:
    """Every eligible card due now, the longest overdue first (ties in the content's order)."""
    order = {q.id: i for i, q in enumerate(eligible)}
    due = [c for c in cards if c.question_id in order and c.is_due(now_ms)]
    return sorted(due, key=lambda c: (c.due_ms, order[c.question_id]))


def next_due_ms(cards: Iterable[ReviewCard], eligible: Sequence[Question], now_ms: int) -> int | None:
    """When the next eligible card falls due, if none is due now."""
    ids = {q.id for q in eligible}
    later = [c.due_ms for c in cards if c.question_id in ids and not c.is_due(now_ms)]
    return min(later, default=None)


def unseen(cards: Iterable[ReviewCard], eligible: Sequence[Question]) -> list[Question]:
    """Eligible questions the member has no card for yet, easiest first, then in the content's order."""
    seen = {c.question_id for c in cards}
    fresh = [(q.difficulty, i, q) for i, q in enumerate(eligible) if q.id not in seen]
    return [q for _, _, q in sorted(fresh, key=lambda item: item[:2])]


def is_mastered(card: ReviewCard) -> bool:
    return card.stability is not None and card.stability >= MATURE_DAYS


@dataclass(frozen=True)
class Mastery:
    topic: str
    mastered: int
    total: int


def mastery(cards: Iterable[ReviewCard], eligible: Sequence[Question]) -> list[Mastery]:
    """Per topic (in the content's order of questions): how many of its questions have a mastered card."""
    mature = {c.question_id for c in cards if is_mastered(c)}
    totals: dict[str, list[int]] = {}
    for question in eligible:
        counts = totals.setdefault(question.topic, [0, 0])
        counts[0] += question.id in mature
        counts[1] += 1
    return [Mastery(topic, mastered, total) for topic, (mastered, total) in totals.items()]


def local_day(ms: int, zone: str) -> date:
    """The calendar day a moment falls on in a time zone (an IANA name; UTC when it is unknown)."""
    try:
        tz = ZoneInfo(zone)
    except (ValueError, KeyError):
        tz = ZoneInfo("UTC")
    return datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone(tz).date()


def streak(review_ms: Iterable[int], now_ms: int, zone: str) -> int:
    """Days in a row, in time zone ``zone``, with at least one review, up to today. A streak not yet continued
    today still counts (the day is not over), so it ends only after a whole day without a review."""
    days = {local_day(ms, zone) for ms in review_ms}
    day = local_day(now_ms, zone)
    if day not in days:
        day -= timedelta(days=1)
    count = 0
    while day in days:
        count += 1
        day -= timedelta(days=1)
    return count


def by_question(cards: Iterable[ReviewCard]) -> Mapping[str, ReviewCard]:
    return {c.question_id: c for c in cards}
