"""The answer writer on the answer repository: answers that arrive together are decided and stored together, in
one statement, each exactly once; display names follow. (What a commit stores or refuses is in
``test_quiz_store_contract.py``.)

Every test runs on SQLite and on PostgreSQL (the ``db`` fixture)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from bot.core.quiz.errors import AlreadyAnswered, QuestionClosed
from bot.core.quiz.model import QuizSession, StoredAnswer
from bot.core.quiz.state import QuizState
from bot.services.clock import SystemClock
from bot.services.quiz.answer_writer import AnswerWriter
from bot.services.quiz.unit_of_work import sql_units
from bot.services.scheduler import Scheduler
from bot.storage.database import SQLiteDatabase
from bot.storage.engine import Database
from bot.storage.repositories import answers as answer_repository
from bot.storage.repositories.answers import AnswerRepository, NameRow
from tests.quizstore_steps import GUILD, answer, change, create
from tests.servicekit import DatabaseDouble


async def _asking(db: Database, channel_id: int) -> QuizSession:
    """A quiz asking its first question, stored through the SQL unit of work."""
    units = sql_units(db, _writer(db))
    session = await create(units, channel_id)
    return (await change(units, session.id, "ask", 1_000)).session


async def _reveal(db: Database, session: QuizSession, now_ms: int) -> None:
    await change(sql_units(db, _writer(db)), session.id, "reveal", now_ms)


def _writer(db: Database) -> AnswerWriter:
    return AnswerWriter(AnswerRepository(db), Scheduler(SystemClock()))


async def _record(writer: AnswerWriter, given: StoredAnswer, name: str) -> tuple[int, int, bool] | str:
    """(member, the choice that counts, whether this answer is the one stored), or why it was refused."""
    try:
        stored = await writer.record(given, name)
        return stored.user_id, stored.choice, True
    except AlreadyAnswered as earlier:
        return given.user_id, earlier.choice, False
    except QuestionClosed:
        return "question closed"


async def test_one_batch_decides_each_answer_like_one_at_a_time(db: Database) -> None:
    writer = _writer(db)
    repo = writer.answers
    first, second = await _asking(db, 100), await _asking(db, 200)
    earlier = answer(first, user=1, choice=0)
    assert await writer.record(earlier, "Ada") == earlier
    await _reveal(db, second, now_ms=5_000)

    twice = answer(first, user=2, choice=1)
    attempts = [
        (answer(first, user=1, choice=2), "Ada again"),  # answered before this batch
        (twice, "Bo"),  # new
        (answer(first, user=2, choice=0), "Bo again"),  # a second click in the same batch
        (answer(second, user=3, choice=0), "Cy"),  # that question is closed
        (answer(first, user=4, choice=0), "Di"),  # new
        (answer(first, user=5, choice=0, position=1), "Ed"),  # a question not asked yet
    ]
    outcomes = await asyncio.gather(*(_record(writer, given, name) for given, name in attempts))

    assert outcomes == [
        (1, 0, False),
        (2, 1, True),
        (2, 1, False),
        "question closed",
        (4, 0, True),
        "question closed",
    ]
    stored = await repo.answers(first.id)
    assert [(a.user_id, a.choice) for a in stored] == [(1, 0), (2, 1), (4, 0)]
    assert await repo.answers(second.id) == []
    await writer.drain()
    assert await repo.names(GUILD, [1, 2, 3, 4]) == {1: "Ada", 2: "Bo", 4: "Di"}


async def test_a_long_queue_is_written_in_bounded_batches(db: Database) -> None:
    writer = _writer(db)
    repo = writer.answers
    repo.batch_limit = 7
    session = await _asking(db, 100)
    answers = [answer(session, user=u, choice=u % 3) for u in range(1, 51)]
    outcomes = await asyncio.gather(*(writer.record(a, f"member {a.user_id}") for a in answers))
    assert outcomes == answers
    assert [a.user_id for a in await repo.answers(session.id)] == list(range(1, 51))


async def test_answers_arriving_together_cost_one_statement_and_names_follow(db: Database) -> None:
    """A batch is one INSERT through ``Database.write`` (each statement is a round trip the next clicks wait
    for); the display names of the stored answers follow in one statement once the queue is empty."""
    watched = DatabaseDouble(db)
    writer = _writer(watched)
    session = await _asking(db, 100)
    statements: list[str] = []
    if isinstance(db, SQLiteDatabase):  # on SQLite, also every statement the engine ran: no BEGIN or COMMIT
        await db._conn.set_trace_callback(statements.append)
    answers = [answer(session, user=u, choice=0) for u in range(1, 41)]
    outcomes = await asyncio.gather(*(writer.record(a, f"member {a.user_id}") for a in answers))
    await writer.drain()
    writes = [sql.split(" (")[0] for sql in watched.writes]
    if isinstance(db, SQLiteDatabase):
        await db._conn.set_trace_callback(None)
        assert [s.split(" (")[0] for s in statements if not s.startswith("SELECT")] == writes

    assert outcomes == answers
    assert writes == ["INSERT INTO quiz_answers", "INSERT INTO members"]
    assert watched.transactions == 0, "the answer writer must not open a transaction"
    rows = await db.fetch_all("SELECT user_id, display_name FROM members ORDER BY user_id")
    assert [(r["user_id"], r["display_name"]) for r in rows] == [(u, f"member {u}") for u in range(1, 41)]


async def test_an_answer_committed_through_the_unit_of_work_opens_no_transaction(db: Database) -> None:
    """A click's unit of work stages nothing but its answer, which goes through the writer: an empty transaction
    would put two round trips on the write lock in front of every click, behind the writer's batches."""
    watched = DatabaseDouble(db)
    writer = _writer(watched)
    units = sql_units(watched, writer)
    session = await _asking(db, 100)
    answers = [answer(session, user=u, choice=0) for u in range(1, 21)]

    async def click(given: StoredAnswer) -> None:
        async with units() as uow:
            uow.answers.add(given, f"member {given.user_id}")
            await uow.commit()

    await asyncio.gather(*(click(a) for a in answers))
    await writer.drain()
    assert watched.transactions == 0
    assert set(w.split(" (")[0] for w in watched.writes) == {"INSERT INTO quiz_answers", "INSERT INTO members"}
    assert [a.user_id for a in await AnswerRepository(db).answers(session.id)] == list(range(1, 21))


async def test_a_waiting_name_is_not_written_once_its_answer_is_gone(db: Database) -> None:
    """A member who asks to be forgotten while their name waits does not get it written back."""
    repo = AnswerRepository(db)
    session = await _asking(db, 100)
    kept, forgotten = answer(session, user=1, choice=0), answer(session, user=2, choice=1)
    rows = [
        (a.guild_id, a.user_id, name, a.answered_ms, a.session_id, a.position)
        for a, name in ((kept, "Ada"), (forgotten, "Bo"))
    ]
    await db.write(
        answer_repository._insert_answers_sql(2),
        [v for a in (kept, forgotten) for v in answer_repository._answer_params(a)] + [QuizState.ASKING.value],
    )
    await db.write("DELETE FROM quiz_answers WHERE user_id = ?", (2,))
    await db.write(answer_repository._upsert_names_sql(2), [v for row in rows for v in row])
    assert await repo.names(GUILD, [1, 2]) == {1: "Ada"}


class _SlowNames(AnswerRepository):
    """Names are stored only once the test opens ``gate``: a write of names caught in the middle."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.gate, self.writing = asyncio.Event(), asyncio.Event()

    async def upsert_names(self, rows: Sequence[NameRow]) -> None:
        self.writing.set()
        await self.gate.wait()
        await super().upsert_names(rows)


async def test_names_read_while_the_writer_stores_them_wait_for_them(db: Database) -> None:
    """A results post reads names right after asking for the waiting ones to be written; while the writer was
    storing them itself, that ask once returned at once and the post named members "member 7" instead."""
    repo = _SlowNames(db)
    writer = AnswerWriter(repo, Scheduler(SystemClock()))
    session = await _asking(db, 100)
    await writer.record(answer(session, user=1, choice=0), "Ada")
    await asyncio.wait_for(repo.writing.wait(), 5)  # the writer is storing Ada's name
    reader = asyncio.ensure_future(writer.write_names())
    await asyncio.sleep(0.05)
    assert not reader.done(), "the reader waits for the names being written"
    repo.gate.set()
    await asyncio.wait_for(reader, 5)
    assert await repo.names(GUILD, [1]) == {1: "Ada"}


async def test_clicks_of_later_turns_make_the_next_batch_one_batch_at_a_time(db: Database) -> None:
    """Clicks arriving while a batch is on its way wait for it and go in the next batch, never beside it; every
    click is decided exactly once."""
    watched = DatabaseDouble(db)
    writer = _writer(watched)
    session = await _asking(db, 100)

    async def click_later(user: int) -> StoredAnswer:
        for _ in range(user // 4):  # four clicks per turn of the event loop
            await asyncio.sleep(0)
        return await writer.record(answer(session, user=user, choice=0), f"member {user}")

    outcomes = await asyncio.gather(*(click_later(u) for u in range(1, 41)))
    await writer.drain()

    assert [a.user_id for a in outcomes] == list(range(1, 41))
    assert sorted(a.user_id for a in await writer.answers.answers(session.id)) == list(range(1, 41))
    inserts = [sql for sql in watched.writes if sql.startswith("INSERT INTO quiz_answers")]
    assert len(inserts) > 1, "clicks of later turns make batches of their own"
    assert watched.most_writes_on_their_way == 1


async def test_a_write_never_lands_inside_another_tasks_transaction(db: Database) -> None:
    """A write sent while a transaction is open waits for it: the transaction's rollback leaves it untouched."""
    session = await _asking(db, 100)
    opened, go_on = asyncio.Event(), asyncio.Event()

    async def rolled_back() -> None:
        with pytest.raises(RuntimeError, match="rolled back"):
            async with db.transaction() as conn:
                await conn.execute("UPDATE quiz_sessions SET position = 7 WHERE id = ?", (session.id,))
                opened.set()
                await go_on.wait()
                raise RuntimeError("rolled back")

    transaction = asyncio.create_task(rolled_back())
    await opened.wait()
    writing = asyncio.create_task(_writer(db).record(answer(session, user=1, choice=2), "Ada"))
    for _ in range(5):
        await asyncio.sleep(0)
    assert not writing.done(), "the write waits for the open transaction"
    go_on.set()
    await transaction
    assert (await writing).choice == 2
    assert [(a.user_id, a.choice) for a in await AnswerRepository(db).answers(session.id)] == [(1, 2)]
    quiz = await sql_units(db, _writer(db))().quizzes.get(session.id)
    assert quiz is not None and quiz.position == 0


async def test_names_wait_until_read_and_never_undo_a_newer_one(db: Database) -> None:
    """Display names are not written between batches; a read of names writes the waiting ones first, and a name
    seen earlier never replaces one seen later."""
    watched = DatabaseDouble(db)
    writer = _writer(watched)
    session = await _asking(db, 100)
    await writer.record(answer(session, user=1, choice=0), "Ada (old)")  # seen at 2 001 ms
    assert [sql for sql in watched.writes if sql.startswith("INSERT INTO members")] == []

    newer = AnswerRepository(db)
    newer.remember(GUILD, 1, "Ada", now_ms=3_000)
    async with db.transaction() as conn:
        await newer.flush(conn)
    reads = AnswerRepository(db, writer.write_names)
    assert await reads.names(GUILD, [1]) == {1: "Ada"}
    assert [sql.split(" (")[0] for sql in watched.writes] == ["INSERT INTO quiz_answers", "INSERT INTO members"]
    await writer.drain()


async def test_a_click_arriving_while_names_are_written_is_not_left_waiting(db: Database) -> None:
    """Names are written by the flush job once enough wait; a click arriving during that write finds the job running
    and queues, so the job must look at the queue again before it ends."""
    watched = DatabaseDouble(db)
    writer = _writer(watched)
    writer.names_batch = 3
    session = await _asking(db, 100)
    late: list[asyncio.Task[StoredAnswer]] = []

    def click_during_the_names_write(sql: str) -> None:
        if sql.startswith("INSERT INTO members") and not late:
            late.append(asyncio.ensure_future(writer.record(answer(session, user=99, choice=1), "late")))

    watched.before_write = click_during_the_names_write
    first = [answer(session, user=u, choice=0) for u in range(1, 4)]
    assert await asyncio.gather(*(writer.record(a, f"member {a.user_id}") for a in first)) == first
    for _ in range(20):
        await asyncio.sleep(0)
    assert late, "the names were written after the first batch"
    assert (await asyncio.wait_for(late[0], 5)).user_id == 99
    assert len(await writer.answers.answers(session.id)) == 4
    await writer.drain()
