"""Several processes on one PostgreSQL database: one leader at a time (an advisory lock on a session of its own,
taken over when the leader's session ends), NOTIFY waking a waiting job loop long before its poll, and listening
that recovers after its connection is cut. (SQLite serves one process: always the leader, see test_job_worker.)"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from bot.services.clock import SystemClock
from bot.services.jobs import DONE, Outcome
from bot.services.leader import Duty, Leadership
from bot.services.scheduler import Scheduler
from bot.storage.pgcoordination import PgLeaderLock, PgSignal
from bot.storage.postgres import PostgresDatabase
from bot.storage.repositories.jobs import JobRepository, JobRow
from tests.jobkit import eventually, worker
from tests.postgres import end_session
from tests.quizkit import FakeClock


@pytest.fixture
async def databases(postgres_url: str) -> AsyncIterator[tuple[PostgresDatabase, PostgresDatabase]]:
    """Two processes' pools on the one database."""
    first = await PostgresDatabase.open(postgres_url)
    second = await PostgresDatabase.open(postgres_url)
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


async def test_one_leader_at_a_time_and_the_next_takes_over_when_it_closes(postgres_url: str) -> None:
    first, second = PgLeaderLock(postgres_url), PgLeaderLock(postgres_url)
    try:
        assert await first.try_acquire()
        assert not await second.try_acquire(), "the lock is taken"
        assert await first.still_held() and not await second.still_held()
        await first.close()  # the leader's process ends
        assert await second.try_acquire()
        assert not await first.try_acquire(), "the old leader, back, is not the leader"
    finally:
        await first.close()
        await second.close()


async def test_leadership_and_its_duties_move_when_the_leader_goes(postgres_url: str) -> None:
    clock = FakeClock()
    events: list[str] = []

    def leadership(name: str) -> Leadership:
        async def start() -> None:
            events.append(f"{name} leads")

        async def stop() -> None:
            events.append(f"{name} stops")

        leader = Leadership(PgLeaderLock(postgres_url), Scheduler(clock), clock, retry_ms=1_000)
        leader.add(Duty("retention", start, stop))
        return leader

    first, second = leadership("first"), leadership("second")
    try:
        await first.start()
        await second.start()
        assert (first.is_leader, second.is_leader, events) == (True, False, ["first leads"])
        lock = first.lock
        assert isinstance(lock, PgLeaderLock)
        await end_session(postgres_url, lock.backend_pid())  # its session ends under it (a network cut)
        await clock.advance(1_000)
        await eventually(lambda: "second leads" in events, "the second process taking over")
        await eventually(lambda: "first stops" in events, "the first noticing it no longer leads")
        assert not first.is_leader and second.is_leader
        await second.stop()
        await clock.advance(1_000)
        await eventually(lambda: events.count("first leads") == 2, "the first leading again")
    finally:
        await first.stop()
        await second.stop()


class Runs:
    def __init__(self) -> None:
        self.at: list[float] = []

    async def __call__(self, job: JobRow) -> Outcome:
        self.at.append(time.monotonic())
        return DONE


async def test_notify_wakes_a_waiting_job_loop_long_before_its_poll(
    postgres_url: str, databases: tuple[PostgresDatabase, PostgresDatabase]
) -> None:
    mine, theirs = databases
    jobs = worker(mine, SystemClock(), "waiting", signal=PgSignal(postgres_url, mine), poll_ms=120_000)
    runs = Runs()
    jobs.handle("daily", runs)
    other = PgSignal(postgres_url, theirs)
    await jobs.start()
    try:
        await asyncio.sleep(0.3)  # its first look found nothing: it sleeps for two minutes
        await JobRepository(theirs).schedule("daily", 0, None, SystemClock().now_ms())
        sent = time.monotonic()
        await other.notify()
        await eventually(lambda: bool(runs.at), "the waiting loop to run the job", within=30)
        assert runs.at[0] - sent < 30, "woken by the signal, not by its poll (120 s)"
    finally:
        await jobs.stop()
        await other.close()


async def test_listening_recovers_after_its_connection_is_cut(
    postgres_url: str, databases: tuple[PostgresDatabase, PostgresDatabase]
) -> None:
    mine, theirs = databases
    signal = PgSignal(postgres_url, mine)
    jobs = worker(mine, SystemClock(), "listening", signal=signal, poll_ms=120_000)
    runs = Runs()
    jobs.handle("daily", runs)
    other = PgSignal(postgres_url, theirs)
    await jobs.start()
    try:
        cut = signal.backend_pid()
        await end_session(postgres_url, cut)
        await eventually(lambda: signal.listening and signal.backend_pid() != cut, "listening again", within=30)
        await JobRepository(theirs).schedule("daily", 0, None, SystemClock().now_ms())
        await other.notify()
        await eventually(lambda: bool(runs.at), "the job run after the signal", within=30)
    finally:
        await jobs.stop()
        await other.close()
