"""The SQLite database, the embedded default: aiosqlite, WAL, foreign keys, migrations, and a transaction helper.

Everything SQLite-specific lives in ``open`` (PRAGMAs, user_version); repositories use portable SQL
(``INSERT ... ON CONFLICT``, integer UTC timestamps) and see only ``engine.Database``, which this class and
``postgres.PostgresDatabase`` both are. ``Database`` is importable from here, where repositories always found it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from bot.core.errors import OperatorError
from bot.core.words import plural
from bot.storage.engine import Database as Database
from bot.storage.engine import Dialect
from bot.storage.migrator import SchemaTooNew, available

log = logging.getLogger(__name__)



# Pages copied per backup step (4 MiB at SQLite's default 4 KiB page). Another process writing between
# steps makes SQLite start the copy again, so steps are large enough to finish quickly under a busy bot.
BACKUP_STEP_PAGES = 1024


MIN_SQLITE = (3, 35, 0)
"""``INSERT ... RETURNING`` (the answer writer) needs SQLite 3.35 (2021); upserts need 3.24."""


class SQLiteTooOld(OperatorError):
    """Python's sqlite3 module is linked to an SQLite too old for the bot's statements."""


class MigrationBrokeKeys(OperatorError):
    """A migration would leave rows whose foreign keys point at nothing (SQLite checks them before committing)."""


class DatabaseUnavailable(OperatorError):
    """``DATABASE_PATH`` cannot be opened as the bot's database: a folder, another kind of file, no permission."""


def _unavailable(path: Path, exc: BaseException) -> DatabaseUnavailable:
    """Say what is wrong with ``path`` and what to do, from what SQLite or the file system reported."""
    if path.is_dir():
        return DatabaseUnavailable(
            f"DATABASE_PATH {path} is a folder, not a database file. Set it to a file, e.g. {path / 'bot.sqlite3'}."
        )
    if isinstance(exc, sqlite3.DatabaseError) and "not a database" in str(exc):
        return DatabaseUnavailable(
            f"DATABASE_PATH {path} is not an SQLite database ({exc}). Point it at the bot's database file, "
            "or at a new file name to start an empty one."
        )
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return DatabaseUnavailable(
        f"Cannot open the database {path} ({reason}). Check that this user can create and write files in "
        f"{path.parent}, or set DATABASE_PATH to a place it can."
    )


def now() -> int:
    """Integer UTC seconds, the only timestamp format stored."""
    return int(time.time())


class SQLiteDatabase:
    dialect: Dialect = "sqlite"

    def __init__(self, connection: aiosqlite.Connection, path: Path) -> None:
        self._conn = connection
        self.path = path
        self._write_lock = asyncio.Lock()
        self._transaction_owner: asyncio.Task[Any] | None = None

    @classmethod
    async def open(cls, path: Path) -> SQLiteDatabase:
        """Open (creating folders as needed), configure, and migrate the database at ``path``."""
        if sqlite3.sqlite_version_info < MIN_SQLITE:
            raise SQLiteTooOld(
                f"This Python uses SQLite {sqlite3.sqlite_version}; the bot needs {'.'.join(map(str, MIN_SQLITE))} "
                "or newer. Use a Python build linked to a newer SQLite (python.org builds and Debian 12 are)."
            )
        try:
            if str(path) != ":memory:":
                await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
            connection = await aiosqlite.connect(path, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise _unavailable(path, exc) from exc
        try:
            connection.row_factory = aiosqlite.Row
            try:
                await connection.execute("PRAGMA journal_mode=WAL")
            except sqlite3.Error as exc:  # the first statement is where SQLite reads the file
                raise _unavailable(path, exc) from exc
            await connection.execute("PRAGMA foreign_keys=ON")
            await connection.execute("PRAGMA busy_timeout=5000")
            # FULL: a commit is on disk before the bot acknowledges a click, so an answer survives a power
            # cut, not only a killed process (measured cost: tens of ms per answer under load).
            await connection.execute("PRAGMA synchronous=FULL")
            database = cls(connection, path)
            await database._migrate()
        except BaseException:
            await connection.close()
            raise
        return database

    def describe(self) -> str:
        return str(self.path)

    async def close(self) -> None:
        """Close once every write in flight has committed (writers hold the write lock)."""
        async with self._write_lock:
            await self._conn.close()

    async def backup(self, target: Path, progress: Callable[[int, int], None] | None = None) -> None:
        """Copy the live database to ``target`` with SQLite's online backup API: safe while the bot runs.

        ``progress(remaining, total)`` is called as pages are copied (so a long backup can show progress).

        The copy holds the write lock. It runs on this connection's one worker thread, and SQLite refuses
        (SQLITE_LOCKED, retried forever) to copy from a connection that is inside a write transaction; a
        transaction begun by another task would wait for its next statement behind the copy, and neither
        would ever finish. Writers queue on the lock instead, and nothing else could use the thread anyway.
        """
        await asyncio.to_thread(target.parent.mkdir, parents=True, exist_ok=True)
        destination = await aiosqlite.connect(target)
        try:

            def report(status: int, remaining: int, total: int) -> None:
                if progress is not None:
                    progress(remaining, total)

            async with self._write_lock:
                await self._conn.backup(destination, pages=BACKUP_STEP_PAGES, progress=report)
        finally:
            await destination.close()

    async def schema_version(self) -> int:
        async with self._conn.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def _migrate(self) -> None:
        migrations = available()
        current = await self.schema_version()
        if current > len(migrations):
            raise SchemaTooNew(
                f"{self.path} has schema version {current}, but this version of the bot knows only up to "
                f"{len(migrations)}. Update the bot, or restore a backup made by this version."
            )
        pending = [m for m in migrations if m.version > current]
        if not pending:
            return
        script = "\n".join(m.sql for m in pending)
        target = pending[-1].version
        # Foreign keys off while migrating, as SQLite's documented way of rebuilding a table needs (009): with them
        # on, dropping a parent table deletes its children's rows (ON DELETE CASCADE). The PRAGMA does nothing
        # inside a transaction, hence before BEGIN; every key is checked before the one COMMIT instead.
        await self._conn.execute("PRAGMA foreign_keys=OFF")
        try:
            await self._conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {target};")
            broken = list(await self._conn.execute_fetchall("PRAGMA foreign_key_check"))
            if broken:
                table, rowid, parent, _ = broken[0]
                raise MigrationBrokeKeys(
                    f"migrating {self.path} to version {target} would leave {plural(len(broken), 'row')} pointing at rows "
                    f"that are not there (first: {table} row {rowid} -> {parent}); nothing was changed"
                )
            await self._conn.execute("COMMIT")
        except BaseException:
            if self._conn.in_transaction:
                await self._conn.execute("ROLLBACK")
            raise
        finally:
            await self._conn.execute("PRAGMA foreign_keys=ON")
        log.info("database %s migrated from version %d to %d", self.path, current, target)

    # Queries -------------------------------------------------------------------------------------

    async def fetch_one(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        async with self._committed(), self._conn.execute(sql, tuple(params)) as cursor:
            row: aiosqlite.Row | None = await cursor.fetchone()
            return row

    async def fetch_all(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        async with self._committed():
            return list(await self._conn.execute_fetchall(sql, tuple(params)))

    @asynccontextmanager
    async def _committed(self) -> AsyncIterator[None]:
        """Let a read see committed rows only, never another task's transaction half done.

        Reads share the one connection, so a read that ran between another task's BEGIN and COMMIT would see
        its uncommitted rows, and show them even if that transaction then rolled back. Such a read waits for
        the transaction to end. Otherwise it goes straight to the worker thread: its statement is queued there
        before any later BEGIN, and the worker runs them in order. The transaction's own task reads freely.
        """
        owner = self._transaction_owner
        if owner is None or owner is asyncio.current_task():
            yield
            return
        async with self._write_lock:
            yield

    async def write(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        """Run one statement as its own transaction and return the rows it returns (``RETURNING``).

        When this returns, the statement has committed (and, with ``synchronous=FULL``, is on disk). It costs
        one round trip to the worker thread where ``transaction()`` costs three or more (BEGIN, the statements,
        COMMIT), and under load every round trip waits for the event loop to come round.

        It waits while another task's transaction is open, then queues the statement on the connection's
        thread, which runs what it is given one at a time, in order, and does not hold the lock while the
        statement is on its way: there is no suspension between taking the free lock and queuing the statement,
        so no transaction can begin in between (a transaction queues its BEGIN under the lock), and another
        write (display names beside a batch of answers) may be queued behind this one instead of waiting for this
        one's answer to come round the event loop.
        """
        async with self._write_lock:
            if self._conn.in_transaction:
                raise RuntimeError("a write transaction was left open; refusing to write inside it")
        return list(await self._conn.execute_fetchall(sql, tuple(params)))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction; writers queue on a lock so concurrent tasks never interleave statements."""
        async with self._write_lock:
            self._transaction_owner = asyncio.current_task()
            try:
                try:
                    await self._conn.execute("BEGIN IMMEDIATE")
                except asyncio.CancelledError:
                    # Cancelled while the BEGIN was on its way: the connection's thread runs it all the same, and
                    # would stay inside that transaction; the ROLLBACK queued behind it ends it.
                    with contextlib.suppress(Exception):
                        await self._conn.execute("ROLLBACK")
                    raise
                try:
                    yield self._conn
                except BaseException:
                    await self._conn.execute("ROLLBACK")
                    raise
                await self._conn.execute("COMMIT")
            finally:
                self._transaction_owner = None
