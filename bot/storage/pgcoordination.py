"""PostgreSQL's side of ``coordination``: LISTEN/NOTIFY, the leader's advisory lock and the shards' locks, each on its
own connection.

A session advisory lock belongs to the connection that took it: when the leader's process dies, PostgreSQL ends its
session and the lock is free for the next process at once. Notifications go out through the app's pool (any
connection may NOTIFY, and the pool's is already open); only listening needs a session of its own.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable

import asyncpg

from bot.storage.coordination import CHANNEL
from bot.storage.engine import Database
from bot.storage.postgres import CONNECT_TIMEOUT, MIGRATION_LOCK

log = logging.getLogger(__name__)

LEADER_LOCK = MIGRATION_LOCK + 1
"""Advisory lock key of the leader (the migration lock's neighbour: both are the bot's own keys)."""
SHARD_LOCKS = MIGRATION_LOCK
"""First key of each shard's advisory lock (the second is the shard): two 32-bit keys, a key space apart from the
one-bigint keys above."""


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


KEEPALIVE = {"tcp_keepalives_idle": "10", "tcp_keepalives_interval": "5", "tcp_keepalives_count": "3"}
"""A lock session asks the server to probe its TCP connection: when the bot's machine dies without closing it
(power loss, a network gone), the server ends the session, freeing its locks, within about 25 s rather than the
system's default of hours. A process that dies on a machine still up has its connection closed by that machine's
kernel, which frees them at once. (Ignored on a Unix socket, where nothing can be left half-open.)"""


class PgLockSession:
    """Session advisory locks on a connection of their own (the leader's, the shards'). A lock is the session's: it
    goes when the connection closes or the process dies, and taking one this session already holds is a no-op here
    (PostgreSQL would count it twice). ``alive`` tells whether the session, and so every lock in it, still stands."""

    def __init__(self, url: str, what: str) -> None:
        self._url = url
        self._what = what
        self._conn: asyncpg.Connection[asyncpg.Record] | None = None
        self.held: set[tuple[int, ...]] = set()

    async def try_lock(self, *key: int) -> bool:
        """Take the lock ``key`` (one bigint, or two ints) if no other session holds it; True if this one does."""
        if self._conn is None or self._conn.is_closed():
            self.held.clear()
            self._conn = await asyncpg.connect(self._url, timeout=CONNECT_TIMEOUT, server_settings=KEEPALIVE)
        if key in self.held:
            return True
        args = ", ".join(f"${i + 1}" for i in range(len(key)))
        if await self._conn.fetchval(f"SELECT pg_try_advisory_lock({args})", *key):
            self.held.add(key)
            return True
        return False

    def backend_pid(self) -> int | None:
        """The session's process id on the server (tests end that session to see the locks go)."""
        return None if self._conn is None else self._conn.get_server_pid()

    async def alive(self) -> bool:
        """Whether the session still stands; when it ended under us, it is closed here and its locks forgotten."""
        if self._conn is None or self._conn.is_closed():
            self.held.clear()
            return False
        try:
            await self._conn.fetchval("SELECT 1")
        except Exception:  # whatever asyncpg raises for a session that ended (not always an InterfaceError)
            log.warning("the %s database connection was lost, and its locks with it", self._what)
            await self.close()
            return False
        return True

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        self.held.clear()
        if conn is not None and not conn.is_closed():
            with contextlib.suppress(Exception):
                await conn.close(timeout=CONNECT_TIMEOUT)  # ends the session: the locks go with it


class PgLeaderLock:
    def __init__(self, url: str) -> None:
        self._session = PgLockSession(url, "leader's")

    async def try_acquire(self) -> bool:
        return await self._session.try_lock(LEADER_LOCK)

    def backend_pid(self) -> int | None:
        return self._session.backend_pid()

    async def still_held(self) -> bool:
        return (LEADER_LOCK,) in self._session.held and await self._session.alive()

    async def close(self) -> None:
        await self._session.close()


class PgShardLocks:
    """One lock per shard (keys ``SHARD_LOCKS, shard``), all on one session of this process's."""

    shared = True

    def __init__(self, url: str) -> None:
        self._session = PgLockSession(url, "shard locks'")

    @property
    def held(self) -> frozenset[int]:
        return frozenset(key[1] for key in self._session.held)

    async def take(self, shards: Iterable[int]) -> list[int]:
        refused = [shard for shard in shards if not await self._session.try_lock(SHARD_LOCKS, shard)]
        return refused

    def backend_pid(self) -> int | None:
        return self._session.backend_pid()

    async def still_held(self) -> bool:
        return await self._session.alive()

    async def close(self) -> None:
        await self._session.close()
