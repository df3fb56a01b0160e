"""The job loop with an injected clock, on both engines: a job runs when it is due and again when it says; a job
its server's process leaves undone goes to another process after the grace; a lease that ran out passes the job on
and its old holder learns it lost it; a failing job is retried later; a signal wakes a waiting loop before its poll;
stopping lets go of everything; the leader runs its duties (SQLite: the one process always leads)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from bot.services.clock import SystemClock
from bot.services.jobs import DONE, Outcome, later
from bot.services.leader import Duty, Leadership
from bot.services.scheduler import Scheduler
from bot.storage.coordination import LocalLeader
from bot.storage.engine import Database
from bot.storage.repositories.jobs import JobRepository, JobRow
from tests.jobkit import LEASE_MS, POLL_MS, eventually, worker
from tests.quizkit import FakeClock

T = 1_700_000_000_000
GUILD = 10



class TimeMovesDuringClaims(JobRepository):
    """The jobs table, with the clock moving on by ``step`` while each claim's answer comes back."""

    def __init__(self, db: Database, clock: FakeClock, step: int) -> None:
        super().__init__(db)
        self.clock = clock
        self.step = step

    async def claim_due(
        self, worker: str, now_ms: int, lease_until_ms: int, limit: int, accept: Callable[[JobRow], bool]
    ) -> list[JobRow]:
        claimed = await super().claim_due(worker, now_ms, lease_until_ms, limit, accept)
        await self.clock.advance(self.step)
        return claimed


class Runs:
    """A handler that records when it ran, then says what ``outcomes`` say (DONE once they run out)."""

    def __init__(self, clock: FakeClock, *outcomes: Outcome) -> None:
        self.clock = clock
        self.at: list[int] = []
        self.outcomes = list(outcomes)

    async def __call__(self, job: JobRow) -> Outcome:
        self.at.append(self.clock.now_ms())
        return self.outcomes.pop(0) if self.outcomes else DONE


async def test_a_job_runs_when_due_and_again_when_it_says(db: Database) -> None:
    clock = FakeClock(T)
    repo = JobRepository(db)
    jobs = worker(db, clock, "a")
    runs = Runs(clock, later(T + 70_000))
    jobs.handle("daily", runs)
    await repo.schedule("daily", 0, None, T + 10_000)
    await jobs.start()
    try:
        await clock.advance(9_000)
        assert runs.at == []
        await clock.advance(1_000)
        await eventually(lambda: runs.at == [T + 10_000], "the run at its due time")
        await eventually(lambda: "job:daily:0" not in jobs.scheduler, "the run's end")
        job = await repo.get("daily", 0)
        assert job is not None and (job.due_ms, job.claimed_by, job.attempts) == (T + 70_000, None, 0)
        await clock.advance(60_000)
        await eventually(lambda: len(runs.at) == 2, "the second run")
        await eventually(lambda: "job:daily:0" not in jobs.scheduler, "the second run's end")
        assert await repo.get("daily", 0) is None, "done: the job is gone"
    finally:
        await jobs.stop()


async def test_work_its_process_left_undone_goes_to_another_after_the_grace(db: Database, second: Database) -> None:
    clock = FakeClock(T)
    owner = worker(db, clock, "owner", owns=lambda guild: guild == GUILD)
    other = worker(second, clock, "other", owns=lambda guild: False)
    owner_runs, other_runs = Runs(clock), Runs(clock)
    owner.handle("quiz", owner_runs)
    other.handle("quiz", other_runs)
    await JobRepository(db).schedule("quiz", 1, GUILD, T + 1_000)
    await JobRepository(db).schedule("quiz", 2, GUILD, T + 1_000)
    await other.start()
    try:
        await clock.advance(1_000)
        await clock.advance(other.grace_ms - 1)
        assert other_runs.at == [], "its own process may still come"
        await owner.start()  # it does: it takes its due job at once
        await eventually(lambda: len(owner_runs.at) == 2, "the owner's runs")
        await eventually(lambda: not any(n.startswith("job:") for n in owner.scheduler.names), "their ends")
        assert other_runs.at == []
        assert await JobRepository(db).all() == [], "done, by the owner"
        await owner.stop()
        await JobRepository(db).schedule("quiz", 3, GUILD, clock.now_ms())
        await clock.advance(other.grace_ms)
        await eventually(lambda: other_runs.at == [clock.now_ms()], "the other process taking it over")
    finally:
        await owner.stop()
        await other.stop()


async def test_a_lease_that_ran_out_passes_the_job_on_and_its_holder_learns_it(db: Database, second: Database) -> None:
    clock = FakeClock(T)
    stalled = worker(db, clock, "stalled")
    other = worker(second, clock, "other", owns=lambda guild: False)
    runs = Runs(clock)
    other.handle("quiz", runs)
    lost: list[str] = []
    await stalled.hold("quiz", 5, GUILD, T + 2_000, lambda: lost.append("quiz 5"))
    await other.start()
    try:
        await clock.advance(2_000)
        assert runs.at == [], "due, but its holder's lease runs"
        await clock.advance(LEASE_MS - 2_000)
        await eventually(lambda: runs.at == [T + LEASE_MS], "the other process claiming it as the lease ran out")
        await stalled.start()  # it comes back to life: its first renewal finds the job gone
        await asyncio.sleep(0.1)  # its renewal task is waiting for the clock
        await clock.advance(LEASE_MS // 3)
        await eventually(lambda: lost == ["quiz 5"], "the old holder hearing it lost the job")
        assert stalled.held() == set()
    finally:
        await stalled.stop()
        await other.stop()


async def test_a_failing_job_is_tried_again_later(db: Database) -> None:
    clock = FakeClock(T)
    jobs = worker(db, clock, "a")
    tries: list[int] = []

    async def flaky(job: JobRow) -> Outcome:
        tries.append(clock.now_ms())
        if len(tries) == 1:
            raise RuntimeError("Discord had a bad day")
        return DONE

    jobs.handle("daily", flaky)
    await JobRepository(db).schedule("daily", 0, None, T)
    await jobs.start()
    try:
        await eventually(lambda: len(tries) == 1, "the first try")
        await eventually(lambda: "job:daily:0" not in jobs.scheduler, "the first try's end")
        job = await JobRepository(db).get("daily", 0)
        assert job is not None and (job.due_ms, job.claimed_by, job.attempts) == (T + 2_000, None, 1)
        await clock.advance(2_000)
        await eventually(lambda: tries == [T, T + 2_000], "the second try")
    finally:
        await jobs.stop()


async def test_a_job_falling_due_while_the_loop_looks_is_looked_at_again_at_once(db: Database) -> None:
    """Time moves on while a look's claim is on its way to the database: a job that fell due meanwhile was not
    claimed (the claim asked about the moment it started), so the next wake must not be later than it. It was: the
    next wake was asked about the moment after, which leaves out a time equal to it, and the loop slept a poll."""
    clock = FakeClock(T)
    jobs = worker(db, clock, "a")
    await JobRepository(db).schedule("daily", 0, None, T + 2_000)
    jobs.repo = TimeMovesDuringClaims(db, clock, 2_000)
    upcoming = await jobs.look()
    assert upcoming is not None and upcoming <= clock.now_ms(), "due now: the loop looks again without waiting"


async def test_a_signal_wakes_a_waiting_loop_before_its_poll(db: Database) -> None:
    clock = FakeClock(T)  # never moved: only a signal can make the loop look again
    jobs = worker(db, clock, "a", poll_ms=60_000)
    runs = Runs(clock)
    jobs.handle("daily", runs)
    await jobs.start()
    try:
        await asyncio.sleep(0.2)  # its first look found nothing
        await JobRepository(db).schedule("daily", 0, None, T)  # written by "another process"
        await asyncio.sleep(0.2)
        assert runs.at == [], "the loop sleeps until its poll"
        await jobs.notify()
        await eventually(lambda: runs.at == [T], "the run after the signal")
    finally:
        await jobs.stop()


async def test_stopping_lets_go_of_every_job_held(db: Database) -> None:
    clock = FakeClock(T)
    jobs = worker(db, clock, "a")
    await jobs.hold("quiz", 1, GUILD, T, lambda: None)
    await jobs.hold("quiz", 2, GUILD, T, lambda: None)
    await jobs.start()
    await jobs.stop()
    assert {(job.key, job.claimed_by) for job in await JobRepository(db).all()} == {(1, None), (2, None)}


async def test_holding_waits_while_another_process_holds_the_job(db: Database, second: Database) -> None:
    clock = FakeClock(T)
    first, other = worker(db, clock, "first"), worker(second, clock, "other")
    await first.hold("quiz", 1, GUILD, T, lambda: None)
    waiting = asyncio.create_task(other.hold("quiz", 1, GUILD, T, lambda: None))
    await asyncio.sleep(0.1)
    assert not waiting.done()
    await first.let_go("quiz", 1)
    await clock.advance(POLL_MS)  # its next look (a signal from another process would wake it sooner)
    await asyncio.wait_for(waiting, 5)
    assert other.held() == {("quiz", 1)}


async def test_a_cancelled_wait_ends_even_as_its_wake_up_arrives() -> None:
    """SystemClock.wait once went on waiting after a cancellation that came with its wake-up (``wait_for`` on
    Python 3.11): a job loop being stopped as a signal arrived never ended, and neither did the bot."""
    wake = asyncio.Event()
    clock = SystemClock()
    task = asyncio.create_task(clock.wait(clock.now_ms() + 60_000, wake))
    await asyncio.sleep(0.01)
    wake.set()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 5)


async def test_one_process_on_sqlite_always_leads_and_runs_its_duties() -> None:
    clock = FakeClock(T)
    scheduler = Scheduler(clock)
    started: list[str] = []
    leader = Leadership(LocalLeader(), scheduler, clock, retry_ms=POLL_MS)

    async def begin() -> None:
        started.append("retention")

    async def end() -> None:
        started.append("stopped")

    leader.add(Duty("retention", begin, end))
    await leader.start()
    assert leader.is_leader and started == ["retention"]
    await leader.stop()
    assert started == ["retention", "stopped"]
    await scheduler.cancel_all()
