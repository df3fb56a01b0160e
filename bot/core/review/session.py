"""A review session: the cards a member works through, in order, and the rules of each click on them.

A session is stored whole (which cards, where the member is, what they picked, how they rated), so its buttons
carry only the session id and a position and keep working after a restart. A click on a card the member has
already moved past changes nothing and shows where the session is now (a double click, or a click retried after a
restart, is harmless); the rules that refuse a click raise a named error with the sentence to show.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from bot.core.errors import UserFacingError
from bot.core.review.scheduling import Rating


class ReviewKind(StrEnum):
    REVIEW = "review"
    """Cards that are due, the longest overdue first."""
    PRACTICE = "practice"
    """Questions the member has not seen yet, offered when nothing is due."""


class ReviewRuleBroken(UserFacingError):
    """A click the session's rules refuse."""


class NotYourReview(ReviewRuleBroken):
    def __init__(self) -> None:
        super().__init__("These buttons belong to someone else's review. Run the review command for your own.")


class ReviewOver(ReviewRuleBroken):
    def __init__(self, module: str) -> None:
        super().__init__(f"That review session was replaced by a newer one. Run /{module} review to go on.")


class PickFirst(ReviewRuleBroken):
    def __init__(self) -> None:
        super().__init__("Pick an answer first; the rating buttons come with the answer.")


class NotInThisReview(ReviewRuleBroken):
    def __init__(self) -> None:
        super().__init__("That card or choice is not part of this review. Run the review command again.")


class Value(BaseModel):
    model_config = ConfigDict(frozen=True)


class SessionCard(Value):
    position: int
    question_id: str
    choice: int | None = None
    answered_ms: int | None = None
    rating: Rating | None = None
    rated_ms: int | None = None


class NewReview(Value):
    user_id: int
    module: str
    topic: str | None
    kind: ReviewKind
    question_ids: tuple[str, ...]


class ReviewSession(Value):
    id: int
    user_id: int
    module: str
    topic: str | None
    kind: ReviewKind
    position: int
    created_ms: int
    updated_ms: int
    ended_ms: int | None
    cards: tuple[SessionCard, ...]

    @property
    def over(self) -> bool:
        return self.ended_ms is not None

    @property
    def current(self) -> SessionCard | None:
        """The card the member is on; None once every card is rated."""
        return None if self.over or self.position >= len(self.cards) else self.cards[self.position]

    @property
    def replaced(self) -> bool:
        """Ended before its last card was rated: the member started a newer session."""
        return self.over and self.position < len(self.cards)

    def check(self, user_id: int) -> None:
        """A click on this session: only its member's, and not once a newer session replaced it. A finished session
        still answers (with its end), so a click retried after the last rating loses nothing."""
        if user_id != self.user_id:
            raise NotYourReview()
        if self.replaced:
            raise ReviewOver(self.module)

    def pick(self, position: int, choice: int, choice_count: int, now_ms: int) -> ReviewSession | None:
        """The member picked ``choice`` on card ``position``; None when that changes nothing (a card already picked
        or already behind them): the session is shown as it is."""
        if not 0 <= position < len(self.cards) or not 0 <= choice < choice_count:
            raise NotInThisReview()
        card = self.cards[position]
        if position != self.position or card.choice is not None:
            return None
        picked = card.model_copy(update={"choice": choice, "answered_ms": now_ms})
        return self._with(picked, now_ms)

    def rate(self, position: int, rating: Rating, now_ms: int) -> ReviewSession | None:
        """The member rated card ``position``: the session moves to the next card, or ends after the last. None when
        the card is already behind them."""
        if not 0 <= position < len(self.cards):
            raise NotInThisReview()
        if position != self.position:
            return None
        card = self.cards[position]
        if card.choice is None:
            raise PickFirst()
        rated = card.model_copy(update={"rating": rating, "rated_ms": now_ms})
        moved = self._with(rated, now_ms)
        last = position + 1 >= len(self.cards)
        return moved.model_copy(update={"position": position + 1, "ended_ms": now_ms if last else None})

    def _with(self, card: SessionCard, now_ms: int) -> ReviewSession:
        cards = list(self.cards)
        cards[card.position] = card
        return self.model_copy(update={"cards": tuple(cards), "updated_ms": now_ms})

    def ratings(self) -> dict[Rating, int]:
        """How many cards got each rating so far."""
        counts = dict.fromkeys(Rating, 0)
        for card in self.cards:
            if card.rating is not None:
                counts[card.rating] += 1
        return counts
