"""What repositories may use of a database, whichever engine is behind it: SQLite or PostgreSQL.

Repositories write portable SQL with ``?`` placeholders and integer values (timestamps, 0/1 flags); each engine's
class makes that SQL run (``postgres.py`` numbers the placeholders) and keeps the same guarantees: one writer at a
time, a write acknowledged only after its commit, readers never seeing another task's uncommitted rows. These
protocols are that contract, so a repository never learns which engine it talks to.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Literal, Protocol, overload

Dialect = Literal["sqlite", "postgresql"]


class IntegrityError(sqlite3.IntegrityError):
    """A constraint (unique key, check, foreign key) refused a statement on PostgreSQL.

    It derives from ``sqlite3.IntegrityError`` so that one ``except sqlite3.IntegrityError`` in a repository
    (for example "the channel already runs a quiz") covers both engines without knowing which one it runs on.
    """


class Row(Protocol):
    """A result row: by position (``row[0]``), by column name (``row["id"]``), and ``dict(row)``.

    ``aiosqlite.Row`` and asyncpg's ``Record`` both are one.
    """

    @overload
    def __getitem__(self, key: str, /) -> Any: ...
    @overload
    def __getitem__(self, key: int, /) -> Any: ...
    def keys(self) -> Iterable[str]: ...


class Cursor(Protocol):
    """The outcome of one statement inside a transaction."""

    @property
    def rowcount(self) -> int:
        """Rows the statement inserted, updated or deleted."""
        ...

    async def fetchone(self) -> Row | None: ...
    async def close(self) -> None: ...


class Connection(Protocol):
    """What a transaction hands its block: statements run in order on one connection, committed together."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Awaitable[Cursor]: ...
    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Awaitable[object]: ...


class Database(Protocol):
    """The database as repositories see it (``database.SQLiteDatabase``, ``postgres.PostgresDatabase``)."""

    @property
    def dialect(self) -> Dialect:
        """Which engine: the few places that must differ (copy-db, backups) ask this, repositories never do."""
        ...

    def describe(self) -> str:
        """Where the data is, for logs and messages: a file path, or a URL without its password."""
        ...

    async def close(self) -> None: ...
    async def schema_version(self) -> int: ...
    async def fetch_one(self, sql: str, params: Iterable[Any] = ...) -> Row | None: ...
    async def fetch_all(self, sql: str, params: Iterable[Any] = ...) -> Sequence[Row]: ...

    async def write(self, sql: str, params: Iterable[Any] = ...) -> Sequence[Row]:
        """One statement as its own transaction; returns its ``RETURNING`` rows once it has committed."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[Connection]:
        """One write transaction: committed when the block ends, rolled back if it raises."""
        ...
