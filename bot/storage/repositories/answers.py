"""Answers, display names and the leaderboards built from them: rows in, rows out.

A batch of answers is one statement whose own guards (the question open, the quiz asking it, one answer per
member) decide what is stored, so a race with a reveal or a stop can never store an answer the results leave
out. Batching itself, and acknowledging each click after its commit, is the answer writer's job
(``bot/services/quiz/answer_writer.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict

from bot.core.quiz.model import StoredAnswer
from bot.core.quiz.state import QuizState
from bot.storage.engine import Connection, Database

_ANSWER_COLUMNS = "session_id, position, user_id, guild_id, topic, choice, correct, points, answered_ms"


class LeaderRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    user_id: int
    display_name: str | None
    points: int
    answered: int
    correct: int


_TOTALS = (
    "SELECT a.user_id, m.display_name, SUM(a.points) AS points, COUNT(*) AS answered, SUM(a.correct) AS correct "
    "FROM quiz_answers a JOIN quiz_sessions s ON s.id = a.session_id "
    "LEFT JOIN members m ON m.guild_id = a.guild_id AND m.user_id = a.user_id"
)
"""Each member's totals over answers ``a`` (with their sessions ``s``); add WHERE and GROUP BY."""


def _scope(guild_id: int, since_ms: int | None, channel_id: int | None) -> tuple[str, list[int]]:
    """The WHERE clause (over answers ``a`` joined to sessions ``s``) for a leaderboard's scope."""
    where = "a.guild_id = ? AND a.answered_ms >= ?"
    params = [guild_id, since_ms or 0]
    if channel_id is not None:
        where += " AND s.channel_id = ?"
        params.append(channel_id)
    return where, params


_MEMBER_CONFLICT = (
    "ON CONFLICT (guild_id, user_id) DO UPDATE SET display_name = excluded.display_name, "
    "updated_ms = excluded.updated_ms WHERE excluded.updated_ms >= members.updated_ms"
)
"""A name is replaced only by one seen at the same time or later, so names written late (the answer writer keeps
them a moment) never undo a newer one."""
_UPSERT_MEMBER = (
    f"INSERT INTO members (guild_id, user_id, display_name, updated_ms) VALUES (?, ?, ?, ?) {_MEMBER_CONFLICT}"
)


ANSWER_BATCH = 300
"""Answers written per statement at most: each binds 9 parameters (SQLite allows 32 766 per statement)."""


def _values(rows: int, width: int) -> str:
    """``rows`` rows of ``width`` placeholders, for a multi-row VALUES."""
    row = "(" + ", ".join("?" * width) + ")"
    return ", ".join([row] * rows)


def _insert_answers_sql(count: int) -> str:
    """One INSERT of ``count`` answers that stores each only if its question is open, its quiz is still asking it
    (not stopped: a stopped quiz's results must hold every answer it acknowledged) and the member has no answer to
    it yet, and returns the keys of the rows it stored. Its last parameter is the asking state.

    ``(VALUES ...) AS v`` names its columns ``column1`` .. ``column9`` in both SQLite and PostgreSQL. The WHERE
    clause is needed anyway, and it also settles SQLite's parsing of ``INSERT ... SELECT ... ON CONFLICT``.
    """
    columns = ", ".join(f"v.column{i}" for i in range(1, 10))
    return (
        f"INSERT INTO quiz_answers ({_ANSWER_COLUMNS}) SELECT {columns} FROM (VALUES {_values(count, 9)}) AS v "
        "WHERE EXISTS (SELECT 1 FROM quiz_questions q WHERE q.session_id = v.column1 AND q.position = v.column2 "
        "AND q.revealed_ms IS NULL AND q.asked_ms IS NOT NULL) "
        "AND EXISTS (SELECT 1 FROM quiz_sessions s WHERE s.id = v.column1 AND s.position = v.column2 AND s.state = ?) "
        "ON CONFLICT (session_id, position, user_id) DO NOTHING RETURNING session_id, position, user_id"
    )


def _upsert_names_sql(count: int) -> str:
    """Upsert ``count`` display names, each only while the member's answer that brought it is stored (so a name
    still waiting is not written back after the member asked to be forgotten)."""
    return (
        "INSERT INTO members (guild_id, user_id, display_name, updated_ms) "
        f"SELECT v.column1, v.column2, v.column3, v.column4 FROM (VALUES {_values(count, 6)}) AS v "
        "WHERE EXISTS (SELECT 1 FROM quiz_answers a WHERE a.session_id = v.column5 AND a.position = v.column6 "
        f"AND a.user_id = v.column2) {_MEMBER_CONFLICT}"
    )


def _answer_params(answer: StoredAnswer) -> tuple[object, ...]:
    return (
        answer.session_id,
        answer.position,
        answer.user_id,
        answer.guild_id,
        answer.topic,
        answer.choice,
        int(answer.correct),
        answer.points,
        answer.answered_ms,
    )


class NameRow(NamedTuple):
    """A display name to store, with the answer that brought it (it is stored only while that answer is)."""

    guild_id: int
    user_id: int
    display_name: str
    updated_ms: int
    session_id: int
    position: int


class AnswerRepository:
    """Reads go to the database at once. ``add`` (an answer) and ``remember`` (a display name) wait for the unit
    of work's commit: names are written in its transaction (``flush``), answers through the batched answer writer,
    whose ``insert`` and ``upsert_names`` are the one-statement writes below."""

    def __init__(self, db: Database, waiting_names: Callable[[], Awaitable[None]] | None = None) -> None:
        self._db = db
        self._waiting_names = waiting_names
        """Writes the display names the answer writer still holds: called before every read of names."""
        self.batch_limit = ANSWER_BATCH
        """Answers one ``insert`` may take (the writer splits a longer queue)."""
        self.staged: list[tuple[StoredAnswer, str]] = []
        self._names: list[tuple[int, int, str, int]] = []

    def add(self, answer: StoredAnswer, display_name: str) -> None:
        self.staged.append((answer, display_name))

    def remember(self, guild_id: int, user_id: int, display_name: str, now_ms: int) -> None:
        """The member's display name in a server, for leaderboards (the latest one wins)."""
        self._names.append((guild_id, user_id, display_name[:100], now_ms))

    def discard(self) -> None:
        self.staged, self._names = [], []

    def discard_names(self) -> None:
        self._names = []

    @property
    def names_staged(self) -> bool:
        """Whether display names wait for the unit of work's commit."""
        return bool(self._names)

    async def flush(self, conn: Connection) -> None:
        for row in self._names:
            await conn.execute(_UPSERT_MEMBER, row)
        self._names = []

    async def insert(self, answers: Sequence[StoredAnswer]) -> set[tuple[int, int, int]]:
        """Store a batch of answers with one statement, its own transaction; return the (session, position,
        member) keys it stored. The statement's guards refuse an answer whose question is closed, whose quiz no
        longer asks it, or whose member already answered it."""
        if not answers:
            return set()
        params = [value for answer in answers for value in _answer_params(answer)] + [QuizState.ASKING.value]
        rows = await self._db.write(_insert_answers_sql(len(answers)), params)
        return {(int(r[0]), int(r[1]), int(r[2])) for r in rows}

    async def upsert_names(self, rows: Sequence[NameRow]) -> None:
        """Store display names in one statement, each only while the answer that brought it is stored."""
        if rows:
            await self._db.write(_upsert_names_sql(len(rows)), [value for row in rows for value in row])

    async def players(self, session_id: int, *, before: int | None = None, at: int | None = None) -> set[int]:
        """Members who answered a question of a session: any before position ``before``, or the one ``at``."""
        if before is not None:
            condition, position = "position < ?", before
        elif at is not None:
            condition, position = "position = ?", at
        else:
            raise ValueError("give before= or at=")
        rows = await self._db.fetch_all(
            f"SELECT DISTINCT user_id FROM quiz_answers WHERE session_id = ? AND {condition}", (session_id, position)
        )
        return {int(r["user_id"]) for r in rows}

    async def answer_of(self, session_id: int, position: int, user_id: int) -> StoredAnswer | None:
        row = await self._db.fetch_one(
            f"SELECT {_ANSWER_COLUMNS} FROM quiz_answers WHERE session_id = ? AND position = ? AND user_id = ?",
            (session_id, position, user_id),
        )
        return None if row is None else StoredAnswer.model_validate(dict(row))

    async def answers(self, session_id: int, position: int | None = None) -> list[StoredAnswer]:
        sql = f"SELECT {_ANSWER_COLUMNS} FROM quiz_answers WHERE session_id = ?"
        params: list[int] = [session_id]
        if position is not None:
            sql += " AND position = ?"
            params.append(position)
        rows = await self._db.fetch_all(sql + " ORDER BY answered_ms, user_id", params)
        return [StoredAnswer.model_validate(dict(r)) for r in rows]

    # Members, leaderboards, stats ----------------------------------------------------------------

    async def _names_written(self) -> None:
        if self._waiting_names is not None:
            await self._waiting_names()

    async def names(self, guild_id: int, user_ids: Sequence[int]) -> dict[int, str]:
        if not user_ids:
            return {}
        await self._names_written()
        marks = ", ".join("?" for _ in user_ids)
        rows = await self._db.fetch_all(
            f"SELECT user_id, display_name FROM members WHERE guild_id = ? AND user_id IN ({marks})",
            [guild_id, *user_ids],
        )
        return {int(r["user_id"]): str(r["display_name"]) for r in rows}

    async def leaderboard(
        self, guild_id: int, since_ms: int | None, limit: int = 10, channel_id: int | None = None
    ) -> list[LeaderRow]:
        """Members by points in a server or one of its channels (all time, or since ``since_ms``), best first."""
        await self._names_written()
        where, params = _scope(guild_id, since_ms, channel_id)
        rows = await self._db.fetch_all(
            f"{_TOTALS} WHERE {where} "
            "GROUP BY a.user_id, m.display_name ORDER BY points DESC, correct DESC, a.user_id LIMIT ?",
            [*params, limit],
        )
        return [LeaderRow.model_validate(dict(r)) for r in rows]

    async def rank_of(
        self, guild_id: int, user_id: int, since_ms: int | None, channel_id: int | None = None
    ) -> tuple[int, LeaderRow] | None:
        """A member's 1-based rank and totals in that scope, or None when they have no answers there."""
        await self._names_written()
        where, params = _scope(guild_id, since_ms, channel_id)
        mine = await self._db.fetch_one(
            f"{_TOTALS} WHERE {where} AND a.user_id = ? GROUP BY a.user_id, m.display_name",
            [*params, user_id],
        )
        if mine is None:
            return None
        row = LeaderRow.model_validate(dict(mine))
        ahead = await self._db.fetch_one(
            "SELECT COUNT(*) AS n FROM (SELECT a.user_id, SUM(a.points) AS points, SUM(a.correct) AS correct "
            f"FROM quiz_answers a JOIN quiz_sessions s ON s.id = a.session_id WHERE {where} GROUP BY a.user_id) t "
            "WHERE t.points > ? OR (t.points = ? AND (t.correct > ? OR (t.correct = ? AND t.user_id < ?)))",
            [*params, row.points, row.points, row.correct, row.correct, user_id],
        )
        return (int(ahead["n"]) + 1 if ahead else 1), row

    async def history(self, guild_id: int, user_id: int) -> list[StoredAnswer]:
        """A member's answers in a server, oldest first (for accuracy per topic and streaks)."""
        rows = await self._db.fetch_all(
            f"SELECT {_ANSWER_COLUMNS} FROM quiz_answers WHERE guild_id = ? AND user_id = ? ORDER BY answered_ms, session_id, position",
            (guild_id, user_id),
        )
        return [StoredAnswer.model_validate(dict(r)) for r in rows]
