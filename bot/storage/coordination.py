"""What lets several bot processes share one database: a wake-up signal between them, a leader lock, and a lock
per shard (so that no two processes hold one shard).

On PostgreSQL (``pgcoordination.py``) the signal is LISTEN/NOTIFY and the leader lock a session advisory lock, each
on a connection of its own, outside the pool (a pooled connection is handed to other tasks; a listener or a lock
must stay on one session). SQLite serves one process: its signal stays inside the process, that process is always
the leader, and its shards are its own (the database file's run lock already refuses a second process). The services run the loops (reconnecting, retrying); these classes only connect, ask and close.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

from bot.storage.connect import DatabaseSettings, location
from bot.storage.engine import Database

CHANNEL = "ketamine_study_jobs"
"""The NOTIFY channel: a job was let go or became due sooner; a waiting process looks again."""


class Signal(Protocol):
    async def listen(self, on_signal: Callable[[], None], on_lost: Callable[[], None]) -> None:
        """Call ``on_signal`` whenever any process signals; ``on_lost`` once if listening stops (the connection
        dropped: listen again). Raises when it cannot listen now."""
        ...

    async def notify(self) -> None:
        """Wake every listening process (this one too)."""
        ...

    async def close(self) -> None: ...


class LeaderLock(Protocol):
    async def try_acquire(self) -> bool:
        """Take the lock if no other process holds it; True if this process holds it now."""
        ...

    async def still_held(self) -> bool:
        """Whether the lock is still this process's (its connection may have dropped, which frees it)."""
        ...

    async def close(self) -> None:
        """Give the lock up (if held) and close its connection."""
        ...


class ShardLocks(Protocol):
    @property
    def shared(self) -> bool:
        """Whether other processes may run on this database (PostgreSQL), so that the locks mean anything."""
        ...

    @property
    def held(self) -> frozenset[int]:
        """The shards locked by this process now."""
        ...

    async def take(self, shards: Iterable[int]) -> list[int]:
        """Lock each shard not yet locked here; return the ones another process holds (the others are held here
        now). Raises when the database cannot be asked."""
        ...

    async def still_held(self) -> bool:
        """Whether the locks are still this process's (their connection may have dropped, which frees them all)."""
        ...

    async def close(self) -> None:
        """Give every shard up and close the locks' connection."""
        ...


class LocalSignal:
    """One process: a signal goes straight to its own listener."""

    def __init__(self) -> None:
        self._listener: Callable[[], None] | None = None

    async def listen(self, on_signal: Callable[[], None], on_lost: Callable[[], None]) -> None:
        self._listener = on_signal

    async def notify(self) -> None:
        if self._listener is not None:
            self._listener()

    async def close(self) -> None:
        self._listener = None


class LocalLeader:
    """One process on SQLite: it is always the leader."""

    async def try_acquire(self) -> bool:
        return True

    async def still_held(self) -> bool:
        return True

    async def close(self) -> None:
        return None


def coordination_for(settings: DatabaseSettings, db: Database) -> tuple[Signal, LeaderLock]:
    """The signal and the leader lock for the database the settings name (asyncpg is loaded for PostgreSQL only)."""
    where = location(settings)
    if where.url is None:
        return LocalSignal(), LocalLeader()
    from bot.storage.pgcoordination import PgLeaderLock, PgSignal

    return PgSignal(where.url, db), PgLeaderLock(where.url)


class LocalShardLocks:
    """One process on SQLite: every shard it asks for is its own."""

    shared = False

    def __init__(self) -> None:
        self._held: set[int] = set()

    @property
    def held(self) -> frozenset[int]:
        return frozenset(self._held)

    async def take(self, shards: Iterable[int]) -> list[int]:
        self._held.update(shards)
        return []

    async def still_held(self) -> bool:
        return True

    async def close(self) -> None:
        self._held.clear()


def shard_locks_for(settings: DatabaseSettings) -> ShardLocks:
    """The shard locks for the database the settings name: on PostgreSQL each a session advisory lock."""
    where = location(settings)
    if where.url is None:
        return LocalShardLocks()
    from bot.storage.pgcoordination import PgShardLocks

    return PgShardLocks(where.url)
