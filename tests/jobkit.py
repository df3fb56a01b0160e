"""Job workers for tests: one per simulated process, on the clock and database handle the test gives it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from bot.services.clock import Clock
from bot.services.jobs import JobWorker
from bot.services.scheduler import Scheduler
from bot.storage.coordination import LocalSignal, Signal
from bot.storage.engine import Database
from bot.storage.repositories.jobs import JobRepository

LEASE_MS = 10_000
POLL_MS = 5_000


def worker(
    db: Database,
    clock: Clock,
    name: str,
    *,
    owns: Callable[[int], bool] = lambda guild_id: True,
    signal: Signal | None = None,
    poll_ms: int = POLL_MS,
) -> JobWorker:
    """A process's job worker named ``name`` (its ``claimed_by``), with a scheduler of its own."""
    return JobWorker(
        JobRepository(db),
        signal or LocalSignal(),
        clock,
        Scheduler(clock),
        lease_ms=LEASE_MS,
        poll_ms=poll_ms,
        owns=owns,
        worker=name,
    )


async def eventually(check: Callable[[], bool], what: str, within: float = 10.0) -> None:
    """Wait (real time, bounded) until ``check()`` holds: a step on another task or in the database."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within} s waiting for {what}")
        await asyncio.sleep(0.01)
