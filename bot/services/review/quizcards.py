"""Quiz and question-of-the-day answers update their members' cards, once the question's answer is revealed.

Why at the reveal and not at the click: an answer click is the bot's busiest path, measured against a control that
does one durable write per click, so it gets no extra database work. At the reveal the answers are final (the
reveal's own transaction closes the question to answers), and they are applied in a transaction of their own
that also marks the question applied: each answer updates its card exactly once, at the moment it was given,
whether the bot runs on or crashes between the reveal and that transaction (the next run finds the question
still unapplied). A question of the day is revealed when it closes, so its answers count then.

The work runs as the scheduler's ``review-cards`` job: the quiz runner pokes it after every reveal, and the hourly
upkeep pokes it too, which picks up anything a crash left behind.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.core.quiz.model import QuizKind, StoredAnswer
from bot.core.review.scheduling import ReviewCard, ReviewSource, rating_for_answer, review
from bot.services.clock import Clock
from bot.services.scheduler import Scheduler
from bot.storage.repositories.review import CardChange, RevealedQuestion, ReviewRepository

JOB = "review-cards"


def cards_after_reveal(
    revealed: RevealedQuestion, answers: Sequence[StoredAnswer], cards: Mapping[int, ReviewCard]
) -> list[CardChange]:
    """Each answer as a rating of its member's card for the question, at the moment it was answered: wrong is
    Again, right is Good, right within the first quarter of the question's time is Easy."""
    source = ReviewSource.DAILY if revealed.kind is QuizKind.DAILY else ReviewSource.QUIZ
    changes = []
    for answer in answers:
        card = cards.get(answer.user_id) or ReviewCard.new(
            answer.user_id, revealed.module, revealed.question_id, answer.answered_ms
        )
        rating = rating_for_answer(answer.correct, answer.answered_ms, revealed.asked_ms, revealed.deadline_ms)
        changes.append(review(card, rating, answer.answered_ms, source))
    return changes


class QuizCards:
    def __init__(self, repo: ReviewRepository, clock: Clock, scheduler: Scheduler) -> None:
        self.repo = repo
        self.clock = clock
        self.scheduler = scheduler
        self._waiting = False

    def revealed(self) -> None:
        """A question's answer was revealed (or may have been): apply what waits, soon, off the caller's path."""
        self._waiting = True
        self.scheduler.schedule(JOB, self._apply())  # a run in progress is kept, and looks again before it ends

    async def _apply(self) -> None:
        while self._waiting:
            self._waiting = False
            while await self.repo.apply_revealed(cards_after_reveal, self.clock.now_ms()):
                pass

    async def settle(self) -> None:
        """Wait until what is waiting has been applied (tests; shutdown)."""
        await self.scheduler.wait(JOB)

    async def stop(self) -> None:
        self.scheduler.cancel(JOB)
        await self.scheduler.wait(JOB)
