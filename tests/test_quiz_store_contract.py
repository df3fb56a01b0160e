"""The quiz unit of work's contract, run on SQLite, on PostgreSQL and on the in-memory fake the fast service tests
use: what a commit stores, what it refuses and with which domain error, and that leaving without a commit
stores nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.core.quiz.errors import AlreadyAnswered, AlreadyPosted, ChannelBusy, QuestionClosed, StaleQuiz
from bot.core.quiz.model import QuizKind, StoredAnswer
from bot.core.quiz.state import QuizState
from bot.services.clock import SystemClock
from bot.services.quiz.answer_writer import AnswerWriter
from bot.services.quiz.unit_of_work import UnitOfWorkFactory, sql_units
from bot.services.scheduler import Scheduler
from bot.storage.connect import open_database
from bot.storage.repositories.answers import AnswerRepository
from bot.storage.repositories.jobs import JobDue, JobRepository
from tests.helpers import make_settings
from tests.memory_store import QuizData, memory_units
from tests.quizstore_steps import CHANNEL, GUILD, answer, change, create, new_quiz

JobDueOf = Callable[[str, int], Awaitable[int | str | None]]
"""When a stored job is due (``"none"`` when there is no such job): read past the unit of work, as a check."""


@pytest.fixture(params=["sqlite", "postgres", "memory"])
async def stored(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[tuple[UnitOfWorkFactory, JobDueOf]]:
    if request.param == "memory":
        data = QuizData()

        async def due_in_memory(kind: str, key: int) -> int | str | None:
            return data.jobs_due.get((kind, key), "none")

        yield memory_units(data), due_in_memory
        return
    url, server, name = None, None, ""
    if request.param == "postgres":
        server = request.getfixturevalue("postgres_server")
        name = await server.create_database()
        url = server.url(name)
    db = await open_database(make_settings(tmp_path, database_url=url))
    scheduler = Scheduler(SystemClock())

    async def due_in_table(kind: str, key: int) -> int | str | None:
        job = await JobRepository(db).get(kind, key)
        return "none" if job is None else job.due_ms

    try:
        yield sql_units(db, AnswerWriter(AnswerRepository(db), scheduler)), due_in_table
    finally:
        await scheduler.cancel_all()
        await db.close()
        if server is not None:
            await server.release_database(name)


@pytest.fixture
def units(stored: tuple[UnitOfWorkFactory, JobDueOf]) -> UnitOfWorkFactory:
    return stored[0]


async def record(units: UnitOfWorkFactory, given: StoredAnswer, name: str = "Ada") -> None:
    async with units() as uow:
        uow.answers.add(given, name)
        await uow.commit()


async def test_a_new_quiz_is_stored_on_commit_only(units: UnitOfWorkFactory) -> None:
    async with units() as uow:
        uow.quizzes.add(new_quiz(), ["q1", "q2"], 1_000)  # left without a commit
    assert await units().quizzes.running() == []
    session = await create(units)
    loaded = await units().quizzes.load(session.id)
    assert (
        loaded is not None
        and loaded.state is QuizState.LOBBY
        and [q.question_id for q in loaded.questions]
        == [
            "q1",
            "q2",
        ]
    )
    assert await units().quizzes.running_in_channel(CHANNEL) == session


async def test_one_running_quiz_per_channel_and_one_question_of_the_day_per_day(units: UnitOfWorkFactory) -> None:
    running = await create(units)
    with pytest.raises(ChannelBusy) as busy:
        await create(units)
    assert busy.value.running.id == running.id
    await create(units, CHANNEL + 1)  # another channel is free
    daily = await create(units, day="2026-11-27")  # a question of the day beside the quiz
    assert await units().quizzes.daily_posted(CHANNEL, "2026-11-27")
    with pytest.raises(AlreadyPosted):
        await create(units, day="2026-11-27")
    assert await units().quizzes.running_in_channel(CHANNEL, QuizKind.DAILY) == daily
    assert await units().quizzes.daily_usage(CHANNEL) == {"q1": 1, "q2": 1}


async def save_outdated_copy(units: UnitOfWorkFactory, session_id: int, due: JobDue | None = None) -> None:
    """Read the quiz, let another task stop it, then save a reveal from the copy read first: refused."""
    stale = await units().quizzes.load(session_id)
    await change(units, session_id, "stop", 2_000)
    assert stale is not None
    before = stale.snapshot()
    stale.reveal(3_000)
    async with units() as uow:
        uow.quizzes.save(stale, before)
        if due is not None:
            uow.quizzes.due(due)
        with pytest.raises(StaleQuiz):
            await uow.commit()


async def test_a_save_is_refused_from_an_outdated_copy(units: UnitOfWorkFactory) -> None:
    session = await create(units)
    await change(units, session.id, "ask", 1_000)
    await save_outdated_copy(units, session.id)
    stored = await units().quizzes.load(session.id)
    assert stored is not None and stored.state is QuizState.STOPPED and stored.questions[0].revealed_ms is None


async def test_a_move_and_when_the_next_one_is_due_commit_together(stored: tuple[UnitOfWorkFactory, JobDueOf]) -> None:
    units, due_of = stored
    session = await create(units)
    async with units() as uow:
        quiz = await uow.quizzes.load(session.id)
        assert quiz is not None
        before = quiz.snapshot()
        quiz.ask_next(1_000)
        uow.quizzes.save(quiz, before)
        uow.quizzes.due(JobDue("quiz", session.id, GUILD, 21_000))
        assert await due_of("quiz", session.id) == "none", "nothing is written before the commit"
        await uow.commit()
    assert await due_of("quiz", session.id) == 21_000
    await save_outdated_copy(units, session.id, JobDue("quiz", session.id, GUILD, 99_000))
    assert await due_of("quiz", session.id) == 21_000, "a refused move records no due time either"
    async with units() as uow:
        uow.quizzes.due(JobDue("quiz", session.id, GUILD, 30_000))  # left without a commit
    assert await due_of("quiz", session.id) == 21_000


async def withdraw(units: UnitOfWorkFactory, session_id: int, question_id: str, replacement: str | None) -> None:
    async with units() as uow:
        quiz = await uow.quizzes.load(session_id)
        assert quiz is not None
        before = quiz.snapshot()
        quiz.withdraw(question_id, replacement, 9_000)
        uow.quizzes.save(quiz, before)
        await uow.commit()


async def test_a_withdrawn_question_is_saved_replaced_or_with_its_position_gone(units: UnitOfWorkFactory) -> None:
    session = await create(units, questions=("q1", "q2", "q3", "q4"))
    await change(units, session.id, "ask", 1_000)
    await record(units, answer(session, 1))
    await withdraw(units, session.id, "q3", "q9")
    await withdraw(units, session.id, "q2", None)
    stored = await units().quizzes.load(session.id)
    assert stored is not None and stored.session.question_count == 3 and stored.session.version == session.version + 3
    assert [(q.position, q.question_id) for q in stored.questions] == [(0, "q1"), (1, "q9"), (2, "q4")]
    assert stored.questions[0].asked_ms == 1_000 and stored.questions[1].asked_ms is None
    reads = units().quizzes
    assert await reads.question(session.id, 3) is None and (await reads.question(session.id, 1)) == stored.questions[1]
    got = await reads.get(session.id)
    assert got is not None and got.question_count == 3
    assert [(a.user_id, a.position) for a in await units().answers.answers(session.id)] == [(1, 0)], "answers stay"
    await change(units, session.id, "reveal", 10_000)
    asked = await change(units, session.id, "ask", 11_000)
    assert asked.open_question is not None and asked.open_question.question_id == "q9"
    await record(units, answer(session, 2, position=1))
    assert [a.position for a in await units().answers.answers(session.id, 1)] == [1]

    stale = await units().quizzes.load(session.id)
    await withdraw(units, session.id, "q4", None)
    assert stale is not None
    before = stale.snapshot()
    stale.withdraw("q4", "q8", 12_000)  # read before the other withdrawal was saved
    async with units() as uow:
        uow.quizzes.save(stale, before)
        with pytest.raises(StaleQuiz):
            await uow.commit()
    final = await units().quizzes.load(session.id)
    assert final is not None and [q.question_id for q in final.questions] == ["q1", "q9"]
    assert final.session.question_count == 2 and not final.has_next


async def test_answers_follow_the_rules_at_commit(units: UnitOfWorkFactory) -> None:
    session = await create(units)
    with pytest.raises(QuestionClosed):
        await record(units, answer(session, 1))  # nothing asked yet
    await change(units, session.id, "ask", 1_000)
    await record(units, answer(session, 1, choice=0), "Ada")
    with pytest.raises(AlreadyAnswered) as again:
        await record(units, answer(session, 1, choice=2), "Ada")
    assert again.value.choice == 0
    with pytest.raises(QuestionClosed):
        await record(units, answer(session, 2, position=1))  # a question not asked yet
    await record(units, answer(session, 2, choice=1), "Bo")
    await change(units, session.id, "reveal", 5_000)
    with pytest.raises(QuestionClosed):
        await record(units, answer(session, 3))  # revealed
    reads = units().answers
    assert [(a.user_id, a.choice) for a in await reads.answers(session.id)] == [(1, 0), (2, 1)]
    assert await reads.players(session.id, at=0) == {1, 2} and await reads.players(session.id, before=1) == {1, 2}
    assert await reads.names(GUILD, [1, 2, 3]) == {1: "Ada", 2: "Bo"}
    board = await reads.leaderboard(GUILD, None)
    assert [(r.user_id, r.points, r.correct) for r in board] == [(1, 10, 1), (2, 0, 0)]
    rank = await reads.rank_of(GUILD, 2, None)
    assert rank is not None and rank[0] == 2
    assert [a.position for a in await reads.history(GUILD, 1)] == [0]


async def test_no_answer_is_stored_for_a_stopped_quiz(units: UnitOfWorkFactory) -> None:
    session = await create(units)
    await change(units, session.id, "ask", 1_000)
    await change(units, session.id, "stop", 2_000)
    with pytest.raises(QuestionClosed):
        await record(units, answer(session, 1))
    assert await units().answers.answers(session.id) == []


async def test_results_message_and_the_unannounced(units: UnitOfWorkFactory) -> None:
    session = await create(units)
    await change(units, session.id, "ask", 1_000)
    await change(units, session.id, "stop", 2_000)
    assert [s.id for s in await units().quizzes.unannounced(0)] == [session.id]
    async with units() as uow:
        uow.quizzes.results_posted(session.id, 555)
        await uow.commit()
    assert await units().quizzes.unannounced(0) == []
    stored = await units().quizzes.get(session.id)
    assert stored is not None and stored.results_message_id == 555


async def test_a_member_is_remembered_on_commit(units: UnitOfWorkFactory) -> None:
    async with units() as uow:
        uow.answers.remember(GUILD, 9, "Starter", 1_000)
    assert await units().answers.names(GUILD, [9]) == {}
    async with units() as uow:
        uow.answers.remember(GUILD, 9, "Starter", 1_000)
        await uow.commit()
    assert await units().answers.names(GUILD, [9]) == {9: "Starter"}
