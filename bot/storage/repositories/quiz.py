"""Quiz sessions and the questions they ask: loaded and saved as :class:`~bot.core.quiz.aggregate.Quiz`.

The rules live in the aggregate; this module only reads and writes rows. Races are settled by the database:
a partial unique index allows one running quiz per channel, and a save names the version it was read at, so
of two tasks that change one quiz (its runner and a stop) the second is refused with StaleQuiz and reloads.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.core.quiz.aggregate import Quiz
from bot.core.quiz.errors import AlreadyPosted, ChannelBusy, StaleQuiz
from bot.core.quiz.model import AskedQuestion, NewSession, QuizKind, QuizSession
from bot.core.quiz.state import ENDED, RUNNING, QuizState
from bot.storage.engine import Connection, Database
from bot.storage.repositories.answers import AnswerRepository
from bot.storage.repositories.jobs import SCHEDULE_SQL, JobDue

_SESSION_COLUMNS = (
    "id, guild_id, channel_id, starter_id, module, topic, difficulty, question_count, seconds, points, "
    "speed_bonus, seed, state, position, created_ms, updated_ms, ended_ms, results_message_id, kind, closes_ms, "
    "version"
)
_QUESTION_COLUMNS = "session_id, position, question_id, message_id, asked_ms, deadline_ms, revealed_ms"


def _in(states: Iterable[QuizState]) -> tuple[str, list[str]]:
    """``IN (?, ...)`` and its values for a set of states: the words themselves live in the core and the schema."""
    values = sorted(state.value for state in states)
    return f"IN ({', '.join('?' for _ in values)})", values


_RUNNING, _RUNNING_VALUES = _in(RUNNING)
_ENDED, _ENDED_VALUES = _in(ENDED)


def _session(row: Any) -> QuizSession:
    return QuizSession.model_validate(dict(row))


@dataclass
class Added:
    """A quiz to create at commit; ``session`` is set once the commit stored it."""

    new: NewSession
    question_ids: tuple[str, ...]
    now_ms: int
    session: QuizSession | None = None


class StagedQuizChanges:
    """What a unit of work has staged for its commit: new quizzes, saved quizzes, posted results. Every quiz store
    (this module's, the tests' in-memory one) stages alike and differs only in how its commit writes them."""

    def __init__(self) -> None:
        self._added: list[Added] = []
        self._saved: list[tuple[Quiz, Quiz | None]] = []
        self._results: list[tuple[int, int]] = []
        self._due: list[JobDue] = []

    def add(self, new: NewSession, question_ids: Sequence[str], now_ms: int) -> Added:
        added = Added(new, tuple(question_ids), now_ms)
        self._added.append(added)
        return added

    def save(self, quiz: Quiz, before: Quiz | None = None) -> None:
        """Write what changed since ``before`` (the quiz as loaded); refused with StaleQuiz at commit if another
        task saved the quiz in between."""
        self._saved.append((quiz, before))

    def results_posted(self, session_id: int, message_id: int) -> None:
        self._results.append((session_id, message_id))

    def due(self, job: JobDue) -> None:
        """When the quiz's job is next due, written with the quiz's move: both commit, or neither."""
        self._due.append(job)

    def discard(self) -> None:
        self._added, self._saved, self._results, self._due = [], [], [], []

    @property
    def added(self) -> list[Added]:
        return list(self._added)

    @property
    def staged(self) -> bool:
        """Whether a commit has anything of this store's to write."""
        return bool(self._added or self._saved or self._results or self._due)


class QuizRepository(StagedQuizChanges):
    """Reads go to the database at once; ``add``, ``save`` and ``results_posted`` wait for the unit of work's
    commit, which writes them all in one transaction (``flush``)."""

    def __init__(self, db: Database) -> None:
        super().__init__()
        self._db = db

    async def flush(self, conn: Connection) -> Callable[[], None]:
        """Write the staged changes on ``conn`` (inside the commit's transaction); return what to apply to the
        loaded objects once that transaction has committed (new versions, the created sessions)."""
        done: list[Callable[[], None]] = []
        for added in self._added:
            session = await _insert_quiz(conn, added)
            done.append(functools.partial(setattr, added, "session", session))
        for quiz, before in self._saved:
            await _update_quiz(conn, quiz, before)
            done.append(functools.partial(_bump, quiz))
        for session_id, message_id in self._results:
            await conn.execute("UPDATE quiz_sessions SET results_message_id = ? WHERE id = ?", (message_id, session_id))
        for job in self._due:
            await conn.execute(SCHEDULE_SQL, job.params)
        self.discard()

        def apply() -> None:
            for step in done:
                step()

        return apply

    async def conflict(self, added: Added) -> Exception | None:
        """Why adding ``added`` broke a unique rule: its day's question was posted, or the channel is busy."""
        new = added.new
        if new.daily_day is not None and await self.daily_posted(new.channel_id, new.daily_day):
            return AlreadyPosted(new.channel_id, new.daily_day)
        running = await self.running_in_channel(new.channel_id, new.kind)
        return None if running is None else ChannelBusy(running)

    # Reading ------------------------------------------------------------------------------------

    async def load(self, session_id: int) -> Quiz | None:
        session = await self.get(session_id)
        if session is None:
            return None
        return Quiz(session, await self.asked_questions(session_id))

    async def daily_posted(self, channel_id: int, day: str) -> bool:
        row = await self._db.fetch_one(
            "SELECT 1 AS posted FROM daily_posts WHERE channel_id = ? AND day = ?", (channel_id, day)
        )
        return row is not None

    async def daily_usage(self, channel_id: int) -> dict[str, int]:
        """How often each question was a question of the day in a channel (for rotation)."""
        rows = await self._db.fetch_all(
            "SELECT q.question_id, COUNT(*) AS uses FROM daily_posts d "
            "JOIN quiz_questions q ON q.session_id = d.session_id WHERE d.channel_id = ? GROUP BY q.question_id",
            (channel_id,),
        )
        return {str(r["question_id"]): int(r["uses"]) for r in rows}

    async def get(self, session_id: int) -> QuizSession | None:
        row = await self._db.fetch_one(f"SELECT {_SESSION_COLUMNS} FROM quiz_sessions WHERE id = ?", (session_id,))
        return None if row is None else _session(row)

    async def running_in_channel(self, channel_id: int, kind: QuizKind = QuizKind.QUIZ) -> QuizSession | None:
        """The channel's running quiz, or with ``kind=DAILY`` its open question of the day."""
        row = await self._db.fetch_one(
            f"SELECT {_SESSION_COLUMNS} FROM quiz_sessions WHERE channel_id = ? AND state {_RUNNING} AND kind = ?",
            (channel_id, *_RUNNING_VALUES, kind.value),
        )
        return None if row is None else _session(row)

    async def running(self) -> list[QuizSession]:
        rows = await self._db.fetch_all(
            f"SELECT {_SESSION_COLUMNS} FROM quiz_sessions WHERE state {_RUNNING} ORDER BY id", _RUNNING_VALUES
        )
        return [_session(r) for r in rows]

    async def unannounced(self, since_ms: int) -> list[QuizSession]:
        """Quizzes that ended (since ``since_ms``) without their results message being posted."""
        rows = await self._db.fetch_all(
            f"SELECT {_SESSION_COLUMNS} FROM quiz_sessions WHERE state {_ENDED} "
            "AND results_message_id IS NULL AND ended_ms >= ? ORDER BY id",
            (*_ENDED_VALUES, since_ms),
        )
        return [_session(r) for r in rows]

    async def question(self, session_id: int, position: int) -> AskedQuestion | None:
        row = await self._db.fetch_one(
            f"SELECT {_QUESTION_COLUMNS} FROM quiz_questions WHERE session_id = ? AND position = ?",
            (session_id, position),
        )
        return None if row is None else AskedQuestion.model_validate(dict(row))

    async def asked_questions(self, session_id: int) -> list[AskedQuestion]:
        rows = await self._db.fetch_all(
            f"SELECT {_QUESTION_COLUMNS} FROM quiz_questions WHERE session_id = ? ORDER BY position",
            (session_id,),
        )
        return [AskedQuestion.model_validate(dict(r)) for r in rows]


async def _insert_quiz(conn: Connection, added: Added) -> QuizSession:
    new, now_ms = added.new, added.now_ms
    cursor = await conn.execute(
        "INSERT INTO quiz_sessions (guild_id, channel_id, starter_id, module, topic, difficulty, "
        "question_count, seconds, points, speed_bonus, seed, state, position, created_ms, updated_ms, kind, "
        f"closes_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?) RETURNING {_SESSION_COLUMNS}",
        (
            new.guild_id,
            new.channel_id,
            new.starter_id,
            new.module,
            new.topic,
            new.difficulty,
            len(added.question_ids),
            new.rules.seconds,
            new.rules.points,
            int(new.rules.speed_bonus),
            new.seed,
            QuizState.LOBBY.value,
            now_ms,
            now_ms,
            new.kind.value,
            new.closes_ms,
        ),
    )
    row = await cursor.fetchone()
    await cursor.close()
    assert row is not None
    session = _session(row)
    await conn.executemany(
        "INSERT INTO quiz_questions (session_id, position, question_id) VALUES (?, ?, ?)",
        [(session.id, position, qid) for position, qid in enumerate(added.question_ids)],
    )
    if new.daily_day is not None:
        await conn.execute(
            "INSERT INTO daily_posts (channel_id, day, session_id, created_ms) VALUES (?, ?, ?, ?)",
            (new.channel_id, new.daily_day, session.id, now_ms),
        )
    return session


async def _update_quiz(conn: Connection, quiz: Quiz, before: Quiz | None) -> None:
    """The session's row, checked against the version it was read at, then each question row that changed: a
    question withdrawn before it was asked changes its row's question id, or its position goes and the later rows
    (none of them asked, so no answer names them) take the next one's question, the last row going."""
    session = quiz.session
    cursor = await conn.execute(
        "UPDATE quiz_sessions SET state = ?, position = ?, question_count = ?, updated_ms = ?, ended_ms = ?, "
        "version = version + 1 WHERE id = ? AND version = ?",
        (
            session.state.value,
            session.position,
            session.question_count,
            session.updated_ms,
            session.ended_ms,
            session.id,
            session.version,
        ),
    )
    if cursor.rowcount != 1:
        raise StaleQuiz(f"quiz {session.id} changed since version {session.version} was read")
    earlier = [] if before is None else before.questions
    for question in quiz.questions:
        if question.position < len(earlier) and earlier[question.position] == question:
            continue
        await conn.execute(
            "UPDATE quiz_questions SET question_id = ?, message_id = ?, asked_ms = ?, deadline_ms = ?, "
            "revealed_ms = ? WHERE session_id = ? AND position = ?",
            (
                question.question_id,
                question.message_id,
                question.asked_ms,
                question.deadline_ms,
                question.revealed_ms,
                session.id,
                question.position,
            ),
        )
    if before is None or len(earlier) > len(quiz.questions):
        await conn.execute(
            "DELETE FROM quiz_questions WHERE session_id = ? AND position >= ?", (session.id, len(quiz.questions))
        )


async def write_staged(db: Database, quizzes: QuizRepository, answers: AnswerRepository) -> None:
    """A unit of work's commit: every staged change of both repositories in one transaction. A unique rule
    broken by a new quiz becomes the domain's reason (ChannelBusy, AlreadyPosted).

    With nothing staged there is no transaction. An answer click stages nothing here (its answer goes through the
    answer writer), and an empty transaction would cost each click two round trips on the write lock, queued
    behind the writer's batches and holding up the next one.
    """
    if not quizzes.staged and not answers.names_staged:
        return
    added = quizzes.added
    try:
        async with db.transaction() as conn:
            applied = await quizzes.flush(conn)
            await answers.flush(conn)
    except sqlite3.IntegrityError:  # PostgreSQL's constraint errors derive from it too (see engine.IntegrityError)
        for item in added:
            reason = await quizzes.conflict(item)
            if reason is not None:
                raise reason from None
        raise
    finally:
        quizzes.discard()
        answers.discard_names()
    applied()


def _bump(quiz: Quiz) -> None:
    quiz.session = quiz.session.model_copy(update={"version": quiz.session.version + 1})
