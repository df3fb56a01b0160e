"""PostgreSQL's side of ``coordination``: LISTEN/NOTIFY and the leader's advisory lock, each on its own connection.

A session advisory lock belongs to the connection that took it: when the leader's process dies, PostgreSQL ends its
session and the lock is free for the next process at once. Notifications go out through the app's pool (any
connection may NOTIFY, and the pool's is already open); only listening needs a session of its own.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

import asyncpg

from bot.storage.coordination import CHANNEL
from bot.storage.engine import Database
from bot.storage.postgres import CONNECT_TIMEOUT, MIGRATION_LOCK

log = logging.getLogger(__name__)

LEADER_LOCK = MIGRATION_LOCK + 1
"""Advisory lock key of the leader (the migration lock's neighbour: both are the bot's own keys)."""


class PgSignal:
    def __init__(self, url: str, db: Database) -> None:
        self._url = url
        self._db = db
        self._conn: asyncpg.Connection[asyncpg.Record] | None = None
        self._on_end: Callable[[object], None] | None = None

    async def listen(self, on_signal: Callable[[], None], on_lost: Callable[[], None]) -> None:
        await self.close()
        conn: asyncpg.Connection[asyncpg.Record] = await asyncpg.connect(self._url, timeout=CONNECT_TIMEOUT)
        try:
            await conn.add_listener(CHANNEL, lambda *_: on_signal())
        except BaseException:
            await conn.close()
            raise

        def ended(_: object) -> None:
            on_lost()  # the session ended under us (not by close(), which removes this first)

        conn.add_termination_listener(ended)
        self._conn, self._on_end = conn, ended

    async def notify(self) -> None:
        await self._db.fetch_one("SELECT pg_notify(?, '') AS sent", (CHANNEL,))

    @property
    def listening(self) -> bool:
        return self._conn is not None and not self._conn.is_closed()

    def backend_pid(self) -> int | None:
        """The listening session's process id on the server (tests end that session to see listening recover)."""
        return None if self._conn is None else self._conn.get_server_pid()

    async def close(self) -> None:
        conn, self._conn, ended, self._on_end = self._conn, None, self._on_end, None
        if conn is None:
            return
        if ended is not None:
            conn.remove_termination_listener(ended)
        if not conn.is_closed():
            with contextlib.suppress(Exception):
                await conn.close(timeout=CONNECT_TIMEOUT)


class PgLeaderLock:
    def __init__(self, url: str) -> None:
        self._url = url
        self._conn: asyncpg.Connection[asyncpg.Record] | None = None
        self._held = False

    async def try_acquire(self) -> bool:
        if self._conn is None or self._conn.is_closed():
            self._held = False
            self._conn = await asyncpg.connect(self._url, timeout=CONNECT_TIMEOUT)
        self._held = bool(await self._conn.fetchval("SELECT pg_try_advisory_lock($1)", LEADER_LOCK))
        return self._held

    def backend_pid(self) -> int | None:
        """The lock's session's process id on the server (tests end that session to see the lock go)."""
        return None if self._conn is None else self._conn.get_server_pid()

    async def still_held(self) -> bool:
        if not self._held or self._conn is None or self._conn.is_closed():
            return False
        try:
            await self._conn.fetchval("SELECT 1")
        except Exception:  # whatever asyncpg raises for a session that ended (not always an InterfaceError)
            log.warning("the leader's database connection was lost; another process may lead now")
            await self.close()
            return False
        return True

    async def close(self) -> None:
        conn, self._conn, self._held = self._conn, None, False
        if conn is not None and not conn.is_closed():
            with contextlib.suppress(Exception):
                await conn.close(timeout=CONNECT_TIMEOUT)  # ends the session: the lock goes with it
