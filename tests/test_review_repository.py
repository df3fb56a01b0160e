"""The review repository on SQLite and PostgreSQL: sessions and their guarded moves, a rating and its card in one
transaction, quiz answers applied to cards once per revealed question, idle sessions purged."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence

import pytest

from bot.core.quiz.model import QuizKind, StoredAnswer
from bot.core.review.scheduling import CardState, Rating, ReviewCard, ReviewSource, review
from bot.core.review.session import NewReview, ReviewKind, ReviewSession
from bot.services.clock import SystemClock
from bot.services.quiz.answer_writer import AnswerWriter
from bot.services.quiz.unit_of_work import UnitOfWorkFactory, sql_units
from bot.services.review.quizcards import cards_after_reveal
from bot.services.scheduler import Scheduler
from bot.storage.engine import Database
from bot.storage.repositories.answers import AnswerRepository
from bot.storage.repositories.review import (
    CardChange,
    RatingRule,
    RevealedQuestion,
    ReviewRepository,
    StaleSession,
)
from tests.quizstore_steps import answer, change, create

T0 = 1_700_000_000_000


@pytest.fixture
def repo(db: Database) -> ReviewRepository:
    return ReviewRepository(db)


@pytest.fixture
async def units(db: Database) -> AsyncIterator[UnitOfWorkFactory]:
    scheduler = Scheduler(SystemClock())
    try:
        yield sql_units(db, AnswerWriter(AnswerRepository(db), scheduler))
    finally:
        await scheduler.cancel_all()


def new_review(user: int = 1, questions: tuple[str, ...] = ("ov-01", "ov-02"), module: str = "ketamine") -> NewReview:
    return NewReview(user_id=user, module=module, topic=None, kind=ReviewKind.REVIEW, question_ids=questions)


def good(session: ReviewSession, position: int, at_ms: int) -> RatingRule:
    def rule(stored: ReviewCard | None) -> CardChange:
        card = stored or ReviewCard.new(session.user_id, session.module, session.cards[position].question_id, at_ms)
        return review(card, Rating.GOOD, at_ms, ReviewSource.REVIEW)

    return rule


async def test_a_new_session_replaces_the_members_open_one(repo: ReviewRepository) -> None:
    first = await repo.open_session(new_review(), T0)
    other_member = await repo.open_session(new_review(user=2), T0)
    other_module = await repo.open_session(new_review(module="caffeine"), T0)
    second = await repo.open_session(new_review(questions=("risk-01",)), T0 + 5)
    loaded = await repo.session(first.id)
    assert loaded is not None and loaded.ended_ms == T0 + 5 and loaded.replaced
    assert await repo.session(second.id) == second and [c.question_id for c in second.cards] == ["risk-01"]
    for kept in (other_member, other_module):
        assert await repo.session(kept.id) == kept, "only the same member's sessions of the same module end"
    assert await repo.session(10**12) is None


async def test_a_pick_is_stored_once(repo: ReviewRepository) -> None:
    session = await repo.open_session(new_review(), T0)
    picked = session.pick(0, 3, 4, T0 + 1)
    assert picked is not None
    await repo.save_pick(picked, 0)
    assert await repo.session(session.id) == picked
    other = session.pick(0, 1, 4, T0 + 2)  # a second click that read the session before the first was stored
    assert other is not None
    with pytest.raises(StaleSession):
        await repo.save_pick(other, 0)
    stored = await repo.session(session.id)
    assert stored is not None and stored.cards[0].choice == 3


async def test_a_rating_moves_the_session_and_reschedules_its_card_in_one_transaction(
    repo: ReviewRepository,
) -> None:
    session = await repo.open_session(new_review(), T0)
    picked = session.pick(0, 0, 4, T0 + 1)
    assert picked is not None
    await repo.save_pick(picked, 0)
    rated = picked.rate(0, Rating.GOOD, T0 + 2)
    assert rated is not None
    card, log = await repo.save_rating(rated, 0, good(rated, 0, T0 + 2))
    assert await repo.session(session.id) == rated
    assert await repo.card(1, "ketamine", "ov-01") == card and card.state is CardState.LEARNING and card.reps == 1
    assert await repo.logs(1) == [log] and await repo.review_times(1) == [T0 + 2]

    again = picked.rate(0, Rating.EASY, T0 + 3)  # the same click again, from the copy read before the rating
    assert again is not None
    with pytest.raises(StaleSession):
        await repo.save_rating(again, 0, good(again, 0, T0 + 3))
    assert await repo.card(1, "ketamine", "ov-01") == card, "a refused rating changes no card"
    assert len(await repo.logs(1)) == 1

    second = rated.pick(1, 1, 4, T0 + 4)
    assert second is not None
    await repo.save_pick(second, 1)
    done = second.rate(1, Rating.GOOD, T0 + 5)
    assert done is not None
    await repo.save_rating(done, 1, good(done, 1, T0 + 5))
    stored = await repo.session(session.id)
    assert stored is not None and stored.over and not stored.replaced
    assert [c.question_id for c in await repo.cards(1, "ketamine")] == ["ov-01", "ov-02"]


async def test_idle_sessions_are_purged_with_their_cards(repo: ReviewRepository, db: Database) -> None:
    old = await repo.open_session(new_review(user=1), T0)
    recent = await repo.open_session(new_review(user=2), T0 + 10)
    assert await repo.purge_sessions(T0 + 5) == 1
    assert await repo.session(old.id) is None and await repo.session(recent.id) == recent
    rows = await db.fetch_all("SELECT session_id FROM review_session_cards")
    assert {r["session_id"] for r in rows} == {recent.id}


async def test_answers_update_cards_once_their_question_is_revealed(
    repo: ReviewRepository, units: UnitOfWorkFactory, db: Database
) -> None:
    session = await create(units)  # questions q1 and q2, 30 s each
    await change(units, session.id, "ask", 1_000)
    writer_units = units()
    async with writer_units as uow:
        uow.answers.add(answer(session, user=1, choice=0), "Ada")  # right at 1 s: the first quarter, Easy
        uow.answers.add(answer(session, user=2, choice=1), "Bo")  # wrong: Again
        await uow.commit()
    assert await repo.apply_revealed(cards_after_reveal, T0) == 0, "not revealed yet: nothing to apply"
    await change(units, session.id, "reveal", 20_000)

    assert await repo.apply_revealed(cards_after_reveal, T0) == 1
    assert await repo.apply_revealed(cards_after_reveal, T0) == 0, "applied once"
    ada, bo = await repo.card(1, "ketamine", "q1"), await repo.card(2, "ketamine", "q1")
    assert ada is not None and ada.state is CardState.REVIEW and ada.last_review_ms == 2_001
    assert bo is not None and bo.state is CardState.LEARNING and bo.due_ms == 2_002 + 60_000
    assert [(log.rating, log.source) for log in await repo.logs(1)] == [(Rating.EASY, ReviewSource.QUIZ)]
    assert [(log.rating, log.source) for log in await repo.logs(2)] == [(Rating.AGAIN, ReviewSource.QUIZ)]
    marked = await db.fetch_one(
        "SELECT cards_ms FROM quiz_questions WHERE session_id = ? AND position = 0", (session.id,)
    )
    assert marked is not None and marked["cards_ms"] == T0


async def test_a_question_of_the_day_is_applied_as_daily_and_after_earlier_reveals(
    repo: ReviewRepository, units: UnitOfWorkFactory
) -> None:
    """Reveals apply in the order they happened; the same question asked twice updates one card twice."""
    first = await create(units)
    await change(units, first.id, "ask", 1_000)
    async with units() as uow:
        uow.answers.add(answer(first, user=1, choice=0), "Ada")
        await uow.commit()
    await change(units, first.id, "reveal", 10_000)
    daily = await create(units, channel=101, day="2026-01-01")
    await change(units, daily.id, "ask", 30_000)
    async with units() as uow:
        uow.answers.add(answer(daily, user=1, choice=0).model_copy(update={"answered_ms": 40_000_000}), "Ada")
        await uow.commit()
    await change(units, daily.id, "reveal", 50_000_000)
    seen: list[tuple[QuizKind, int]] = []

    def recording(
        revealed: RevealedQuestion, answers: Sequence[StoredAnswer], cards: Mapping[int, ReviewCard]
    ) -> list[CardChange]:
        seen.append((revealed.kind, len(cards)))
        return cards_after_reveal(revealed, answers, cards)

    assert await repo.apply_revealed(recording, T0, limit=1) == 1
    assert await repo.apply_revealed(recording, T0, limit=5) == 1
    assert seen == [(QuizKind.QUIZ, 0), (QuizKind.DAILY, 1)], "the second reveal found the card the first made"
    logs = await repo.logs(1)
    assert [log.source for log in logs] == [ReviewSource.QUIZ, ReviewSource.DAILY]
    card = await repo.card(1, "ketamine", "q1")
    assert card is not None and card.reps == 2
