"""A member's card for one question, scheduled by FSRS (the maintained ``fsrs`` package, py-fsrs 6).

FSRS models each card by its *stability* (days until the chance of recalling it falls to 90 %) and *difficulty*
(1 to 10), and after each rating schedules the next review for when recall is predicted to fall to the desired
retention (90 %, FSRS's default). New and forgotten cards first go through short learning steps (1 and 10
minutes; 10 minutes after a lapse), FSRS's defaults, so a wrong answer comes back the same day.

Only this module talks to ``fsrs``: the rest of the bot sees :class:`ReviewCard`, a plain stored value in integer
UTC milliseconds, and :func:`review`. Fuzzing (a random day or two added to long intervals, to spread reviews that
fall due together) is off: a member can predict when a card returns, and the same ratings at the same times always
give the same schedule, which is what the tests rely on. A session shows at most 20 due cards at a time, so cards
falling due together do not pile up in one sitting.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import IntEnum, StrEnum

import fsrs
from pydantic import BaseModel, ConfigDict

SCHEDULER = fsrs.Scheduler(enable_fuzzing=False)
"""FSRS-6 with its published default parameters and 90 % desired retention; one shared instance (it is immutable
in use: ``review_card`` copies the card it is given)."""

DAY_MS = 86_400_000


class Rating(IntEnum):
    """How well a member recalled a card; the values are FSRS's."""

    AGAIN = 1
    HARD = 2
    GOOD = 3
    EASY = 4

    @property
    def label(self) -> str:
        return self.name.capitalize()


class CardState(IntEnum):
    """FSRS's learning states; the values are FSRS's."""

    LEARNING = 1
    REVIEW = 2
    RELEARNING = 3


class ReviewSource(StrEnum):
    """What gave a card its rating."""

    QUIZ = "quiz"
    DAILY = "daily"
    REVIEW = "review"
    PRACTICE = "practice"
    """A question the member had never seen, studied from ``/review`` when nothing was due: it shapes the card,
    never a leaderboard or quiz stats."""


class Value(BaseModel):
    model_config = ConfigDict(frozen=True)


class ReviewCard(Value):
    user_id: int
    module: str
    question_id: str
    state: CardState = CardState.LEARNING
    step: int | None = 0
    stability: float | None = None
    difficulty: float | None = None
    due_ms: int
    last_review_ms: int | None = None
    reps: int = 0
    """Ratings so far."""
    lapses: int = 0
    """Times a card in review was forgotten (rated Again)."""

    @classmethod
    def new(cls, user_id: int, module: str, question_id: str, now_ms: int) -> ReviewCard:
        """A card never rated: due at once."""
        return cls(user_id=user_id, module=module, question_id=question_id, due_ms=now_ms)

    def is_due(self, now_ms: int) -> bool:
        return self.due_ms <= now_ms


class ReviewLogEntry(Value):
    """One rating and the schedule it gave the card."""

    user_id: int
    module: str
    question_id: str
    source: ReviewSource
    rating: Rating
    reviewed_ms: int
    state: CardState
    stability: float | None
    difficulty: float | None
    due_ms: int


def _when(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def _to_fsrs(card: ReviewCard) -> fsrs.Card:
    return fsrs.Card(
        card_id=1,  # FSRS keys its own logs by it; ours are keyed by member and question
        state=fsrs.State(int(card.state)),
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=_when(card.due_ms),
        last_review=None if card.last_review_ms is None else _when(card.last_review_ms),
    )


def review(card: ReviewCard, rating: Rating, at_ms: int, source: ReviewSource) -> tuple[ReviewCard, ReviewLogEntry]:
    """The card after ``rating`` at ``at_ms``, and the log of it.

    A rating is never placed before the card's last review (a quiz answer given before a review of the same card
    but applied after it, at its question's reveal): it counts at the later moment, so FSRS never sees time run
    backwards.
    """
    at_ms = max(at_ms, card.last_review_ms or at_ms)
    after, _ = SCHEDULER.review_card(_to_fsrs(card), fsrs.Rating(int(rating)), review_datetime=_when(at_ms))
    state = CardState(int(after.state))
    updated = card.model_copy(
        update={
            "state": state,
            "step": after.step,
            "stability": after.stability,
            "difficulty": after.difficulty,
            "due_ms": _ms(after.due),
            "last_review_ms": at_ms,
            "reps": card.reps + 1,
            "lapses": card.lapses + (1 if rating is Rating.AGAIN and card.state is CardState.REVIEW else 0),
        }
    )
    log = ReviewLogEntry(
        user_id=card.user_id,
        module=card.module,
        question_id=card.question_id,
        source=source,
        rating=rating,
        reviewed_ms=at_ms,
        state=state,
        stability=after.stability,
        difficulty=after.difficulty,
        due_ms=updated.due_ms,
    )
    return updated, log


def preview(card: ReviewCard, at_ms: int) -> dict[Rating, int]:
    """When the card would be due again after each rating now (the rating buttons show it)."""
    return {rating: review(card, rating, at_ms, ReviewSource.REVIEW)[0].due_ms for rating in Rating}


def rating_for_answer(correct: bool, answered_ms: int, asked_ms: int, deadline_ms: int) -> Rating:
    """A quiz or question-of-the-day answer as a rating: wrong is Again, right is Good, and right within the first
    quarter of the time the question was open is Easy (recalled at once, not worked out)."""
    if not correct:
        return Rating.AGAIN
    allowed = max(0, deadline_ms - asked_ms)
    return Rating.EASY if answered_ms - asked_ms <= allowed / 4 else Rating.GOOD


def interval_words(ms: int) -> str:
    """A wait as a button can show it: "1 min", "10 min", "3 h", "4 d", "2 mo", "1.5 y"."""
    minutes = max(1, round(ms / 60_000))
    if minutes < 60:
        return f"{minutes} min"
    hours = round(ms / 3_600_000)
    if hours < 24:
        return f"{hours} h"
    days = round(ms / DAY_MS)
    if days < 31:
        return f"{days} d"
    if days < 365:
        return f"{round(days / 30.4)} mo"
    return f"{days / 365:.1f} y"
