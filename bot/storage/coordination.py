"""What lets several bot processes share one database: a wake-up signal between them and a leader lock.

On PostgreSQL (``pgcoordination.py``) the signal is LISTEN/NOTIFY and the leader lock a session advisory lock, each
on a connection of its own, outside the pool (a pooled connection is handed to other tasks; a listener or a lock
must stay on one session). SQLite serves one process: its signal stays inside the process and that process is always
the leader. The services run the loops (reconnecting, retrying); these classes only connect, ask and close.
"""

from __future__ import annotations

from collections.abc import Callable
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
