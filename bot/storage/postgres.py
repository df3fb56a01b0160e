"""The PostgreSQL database (``DATABASE_URL=postgresql://...``): an asyncpg pool behind the same surface as SQLite's.

Guarantees kept from ``database.SQLiteDatabase``, which repositories rely on:

* One writer at a time. Writers (``transaction``, ``write``) queue on a lock, as SQLite's ``BEGIN IMMEDIATE``
  makes them, so a transaction's read-then-write (a setting's old value and its audit row) is never interleaved
  with another's. The bot is one process; reads use the pool's other connections and run alongside.
* A write is acknowledged after its commit: ``write`` runs one statement in autocommit, ``transaction`` returns
  after COMMIT (``synchronous_commit`` is on by default, so it is durable).
* Readers see committed rows only (PostgreSQL's own isolation); the task inside a transaction reads on the
  transaction's connection, so it sees its own rows as it does on SQLite.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeAlias

import asyncpg

from bot.storage import pgsql
from bot.storage.database import DatabaseUnavailable
from bot.storage.engine import Dialect
from bot.storage.migrator import POSTGRES, SchemaTooNew, available
from bot.storage.urls import redact

log = logging.getLogger(__name__)

POOL_SIZE = 5
"""Connections at most: one for the writer, the rest for reads alongside it."""
CONNECT_TIMEOUT = 10.0
MIGRATION_LOCK = 0x6B657461
"""Advisory lock key held while migrating, so two processes starting at once migrate one after the other."""

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    PgConnection: TypeAlias = asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]


class PostgresCursor:
    """A statement's outcome: its rows (for ``RETURNING``) and row count, like an aiosqlite cursor."""

    def __init__(self, rows: list[asyncpg.Record], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    async def fetchone(self) -> asyncpg.Record | None:
        return self._rows.pop(0) if self._rows else None

    async def fetchall(self) -> list[asyncpg.Record]:
        rows, self._rows = self._rows, []
        return rows

    async def close(self) -> None:
        self._rows = []


class PostgresConnection:
    """A transaction's connection as repositories use it (``execute``, ``executemany``), with ``?`` placeholders."""

    def __init__(self, connection: PgConnection) -> None:
        self._conn = connection

    async def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> PostgresCursor:
        query, values = pgsql.numbered(sql, parameters)
        with pgsql.integrity_errors():
            if pgsql.returns_rows(sql):
                rows = await self._conn.fetch(query, *values)
                return PostgresCursor(rows, len(rows))
            status = await self._conn.execute(query, *values)
        return PostgresCursor([], pgsql.row_count(status))

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> None:
        rows = [tuple(p) for p in parameters]
        if not rows:
            return
        query, _ = pgsql.numbered(sql, rows[0], typed=False)
        with pgsql.integrity_errors():
            await self._conn.executemany(query, [[int(v) if isinstance(v, bool) else v for v in r] for r in rows])


def _unavailable(url: str, exc: BaseException) -> DatabaseUnavailable:
    """Say what is wrong with reaching ``url`` and what to do, from what asyncpg or the network reported."""
    where = redact(url)
    if isinstance(exc, asyncpg.InvalidCatalogNameError):
        return DatabaseUnavailable(
            f"PostgreSQL at {where} has no such database ({exc}). Create it for the bot's role, e.g. "
            "`createdb --owner=bot bot`, or fix the database name in DATABASE_URL."
        )
    if isinstance(exc, asyncpg.InvalidAuthorizationSpecificationError | asyncpg.InvalidPasswordError):
        return DatabaseUnavailable(
            f"PostgreSQL at {where} refused the login ({exc}). Check the user and password in DATABASE_URL "
            "and the server's pg_hba.conf."
        )
    if isinstance(exc, asyncpg.InsufficientPrivilegeError):
        return DatabaseUnavailable(
            f"PostgreSQL at {where} refused to create the bot's tables ({exc}). Make the bot's role the owner of "
            "its database (`createdb --owner=ROLE NAME` or `ALTER DATABASE NAME OWNER TO ROLE`)."
        )
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
    return DatabaseUnavailable(
        f"Cannot connect to PostgreSQL at {where} ({reason}). Check that the server is running and reachable "
        "from here, and that DATABASE_URL is right."
    )


class PostgresDatabase:
    dialect: Dialect = "postgresql"

    def __init__(self, pool: asyncpg.Pool[asyncpg.Record], url: str) -> None:
        self._pool = pool
        self.url = url
        self._write_lock = asyncio.Lock()
        self._transaction_owner: asyncio.Task[Any] | None = None
        self._transaction_conn: PgConnection | None = None

    @classmethod
    async def open(cls, url: str) -> PostgresDatabase:
        """Connect a pool to ``url`` and apply pending migrations."""
        try:
            pool = await asyncpg.create_pool(
                url, min_size=1, max_size=POOL_SIZE, timeout=CONNECT_TIMEOUT, reset=_keep_session
            )
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise _unavailable(url, exc) from exc
        database = cls(pool, url)
        try:
            await database._migrate()
        except asyncpg.InsufficientPrivilegeError as exc:
            await pool.close()
            raise _unavailable(url, exc) from exc
        except BaseException:
            await pool.close()
            raise
        return database

    def describe(self) -> str:
        return redact(self.url)

    async def close(self) -> None:
        """Close once every write in flight has committed (writers hold the write lock)."""
        async with self._write_lock:
            await self._pool.close()

    async def schema_version(self) -> int:
        async with self._pool.acquire() as conn:
            return await _version(conn)

    async def _migrate(self) -> None:
        migrations = available(POSTGRES)
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
            current = await _version(conn)
            if current > len(migrations):
                raise SchemaTooNew(
                    f"{self.describe()} has schema version {current}, but this version of the bot knows only up to "
                    f"{len(migrations)}. Update the bot, or restore a backup made by this version."
                )
            pending = [m for m in migrations if m.version > current]
            if not pending:
                return
            if current == 0:
                await conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            for migration in pending:  # one transaction: every pending migration is applied, or none is
                await conn.execute(migration.sql)
            await conn.execute("DELETE FROM schema_version")
            await conn.execute("INSERT INTO schema_version (version) VALUES ($1)", pending[-1].version)
        log.info("database %s migrated from version %d to %d", self.describe(), current, pending[-1].version)

    # Queries -------------------------------------------------------------------------------------

    def _own_connection(self) -> PgConnection | None:
        """The transaction's connection when the task asking is the one inside it (it sees its own rows)."""
        if self._transaction_owner is not None and self._transaction_owner is asyncio.current_task():
            return self._transaction_conn
        return None

    async def fetch_one(self, sql: str, params: Iterable[Any] = ()) -> asyncpg.Record | None:
        query, values = pgsql.numbered(sql, tuple(params))
        own = self._own_connection()
        if own is not None:
            return await own.fetchrow(query, *values)
        async with self._pool.acquire() as conn:
            return await conn.fetchrow(query, *values)

    async def fetch_all(self, sql: str, params: Iterable[Any] = ()) -> list[asyncpg.Record]:
        query, values = pgsql.numbered(sql, tuple(params))
        own = self._own_connection()
        if own is not None:
            return await own.fetch(query, *values)
        async with self._pool.acquire() as conn:
            return await conn.fetch(query, *values)

    async def write(self, sql: str, params: Iterable[Any] = ()) -> list[asyncpg.Record]:
        """Run one statement as its own transaction and return the rows it returns (``RETURNING``).

        When this returns, the statement has committed: it runs in autocommit, one round trip. It holds the
        write lock, so it never runs alongside another task's transaction.
        """
        query, values = pgsql.numbered(sql, tuple(params))
        async with self._write_lock, self._pool.acquire() as conn:
            with pgsql.integrity_errors():
                return await conn.fetch(query, *values)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PostgresConnection]:
        """One write transaction on one pooled connection; writers queue on a lock, as on SQLite."""
        async with self._write_lock, self._pool.acquire() as conn:
            transaction = conn.transaction()
            await transaction.start()
            self._transaction_owner, self._transaction_conn = asyncio.current_task(), conn
            try:
                try:
                    yield PostgresConnection(conn)
                except BaseException:
                    await transaction.rollback()
                    raise
                with pgsql.integrity_errors():  # a deferred constraint is checked at COMMIT
                    await transaction.commit()
            finally:
                self._transaction_owner = self._transaction_conn = None


async def _keep_session(conn: PgConnection) -> None:
    """Hand a connection back to the pool as it is.

    asyncpg's default reset sends ``RESET ALL; UNLISTEN *; ...``, one more round trip for every statement. The
    bot sets no session state (no SET, LISTEN, cursors or session-level advisory locks), and asyncpg still
    rolls back a transaction left open before calling this.
    """


async def _version(conn: PgConnection) -> int:
    """The schema version: 0 while the ``schema_version`` table does not exist yet."""
    if await conn.fetchval("SELECT to_regclass('schema_version')") is None:
        return 0
    version = await conn.fetchval("SELECT max(version) FROM schema_version")
    return int(version or 0)
