"""The jobs table's contract on both engines: claims under a lease, two claimers never sharing a job, a lease that
ran out being claimable and a live one not, holding by key, renewal, letting go, and when to look next.

Two claimers are two database handles on one database (two processes): on PostgreSQL two pools claiming with
``FOR UPDATE SKIP LOCKED``, on SQLite two connections to one file, taken one at a time by ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

import asyncio

from bot.storage.engine import Database
from bot.storage.repositories.jobs import JobRepository, JobRow

LEASE = 1_000


def anything(job: JobRow) -> bool:
    return True



async def test_two_claimers_never_get_the_same_job(db: Database, second: Database) -> None:
    first, other = JobRepository(db), JobRepository(second)
    for key in range(60):
        await first.schedule("quiz", key, 10, 100 + key)

    async def claimer(repo: JobRepository, worker: str) -> list[int]:
        got: list[int] = []
        while batch := await repo.claim_due(worker, 1_000, 1_000 + LEASE, 4, anything):
            got.extend(job.key for job in batch)
            assert all(job.claimed_by == worker and job.lease_until_ms == 1_000 + LEASE for job in batch)
            await asyncio.sleep(0)
        return got

    a, b = await asyncio.gather(claimer(first, "a"), claimer(other, "b"))
    assert not set(a) & set(b), "no job claimed twice"
    assert sorted(a + b) == list(range(60)), "every due job claimed once"
    holders = {job.key: job.claimed_by for job in await first.all()}
    assert {k for k, w in holders.items() if w == "a"} == set(a)


async def test_a_live_lease_is_not_claimable_and_one_that_ran_out_is(db: Database, second: Database) -> None:
    mine, theirs = JobRepository(db), JobRepository(second)
    await mine.schedule("quiz", 1, 10, 0)
    (claimed,) = await mine.claim_due("a", 100, 100 + LEASE, 10, anything)
    assert claimed.attempts == 1
    assert await theirs.claim_due("b", 100 + LEASE - 1, 2_000, 10, anything) == [], "a live lease is not claimable"
    (taken,) = await theirs.claim_due("b", 100 + LEASE, 3_000, 10, anything)
    assert (taken.claimed_by, taken.lease_until_ms, taken.attempts) == ("b", 3_000, 2)
    assert await mine.extend("a", 5_000) == set(), "its old holder renews nothing: it lost the job"
    assert await theirs.extend("b", 5_000) == {("quiz", 1)}


async def test_only_due_jobs_are_claimed_earliest_first_and_parked_ones_last(db: Database) -> None:
    repo = JobRepository(db)
    await repo.schedule("quiz", 1, 10, 500)
    await repo.schedule("quiz", 2, 10, None)  # parked
    await repo.schedule("quiz", 3, 10, 300)
    await repo.schedule("daily", 0, None, 2_000)  # not due yet
    claimed = await repo.claim_due("a", 1_000, 2_000, 10, anything)
    assert [job.ident for job in claimed] == [("quiz", 3), ("quiz", 1), ("quiz", 2)]
    assert claimed[-1].due_ms is None


async def test_jobs_the_claimer_does_not_accept_stay_as_they_were(db: Database) -> None:
    repo = JobRepository(db)
    await repo.schedule("quiz", 1, 10, 0)
    await repo.schedule("quiz", 2, 20, 0)
    claimed = await repo.claim_due("a", 1_000, 2_000, 10, lambda job: job.guild_id == 20)
    assert [job.key for job in claimed] == [2]
    left = await repo.get("quiz", 1)
    assert left is not None and (left.claimed_by, left.lease_until_ms, left.attempts) == (None, None, 0)


async def test_holding_by_key_waits_for_a_live_lease_unless_forced(db: Database, second: Database) -> None:
    mine, theirs = JobRepository(db), JobRepository(second)
    assert await mine.hold("quiz", 7, 10, 50, "a", 1_000 + LEASE, 1_000), "a job that does not exist is created held"
    created = await mine.get("quiz", 7)
    assert created is not None and (created.due_ms, created.guild_id, created.claimed_by) == (50, 10, "a")
    assert await mine.hold("quiz", 7, 10, 99, "a", 3_000, 1_500), "its holder holds it again (a longer lease)"
    assert not await theirs.hold("quiz", 7, 10, 99, "b", 4_000, 2_999), "held by a live lease"
    assert await theirs.hold("quiz", 7, 10, 99, "b", 4_000, 3_000), "the lease ran out"
    assert await mine.hold("quiz", 7, 10, 99, "a", 9_000, 3_100, force=True), "forced: whoever holds it"
    held = await mine.get("quiz", 7)
    assert held is not None and (held.claimed_by, held.lease_until_ms, held.due_ms) == ("a", 9_000, 50)


async def test_scheduling_keeps_the_holder_and_letting_go_sets_the_next_due_time(db: Database) -> None:
    repo = JobRepository(db)
    await repo.hold("quiz", 1, 10, 0, "a", 5_000, 0)
    await repo.schedule("quiz", 1, 10, 4_000)
    job = await repo.get("quiz", 1)
    assert job is not None and (job.claimed_by, job.due_ms) == ("a", 4_000)
    assert not await repo.release("quiz", 1, "b", 9_000), "only its holder lets go"
    assert await repo.release("quiz", 1, "a", 9_000)
    job = await repo.get("quiz", 1)
    assert job is not None and (job.claimed_by, job.lease_until_ms, job.due_ms) == (None, None, 9_000)
    await repo.hold("quiz", 1, 10, 0, "a", 5_000, 0)
    assert await repo.release("quiz", 1, "a", None, keep_due=True)
    job = await repo.get("quiz", 1)
    assert job is not None and job.due_ms == 9_000


async def test_a_failed_run_keeps_counting_attempts_and_a_success_starts_again(db: Database) -> None:
    repo = JobRepository(db)
    await repo.schedule("daily", 0, None, 0)
    for attempt in (1, 2):
        (job,) = await repo.claim_due("a", 10_000 * attempt, 10_000 * attempt + LEASE, 10, anything)
        assert job.attempts == attempt
        await repo.release("daily", 0, "a", 0, succeeded=False)
    await repo.claim_due("a", 50_000, 50_000 + LEASE, 10, anything)
    await repo.release("daily", 0, "a", 0)
    job = await repo.get("daily", 0)
    assert job is not None and job.attempts == 0


async def test_release_all_and_complete(db: Database) -> None:
    repo = JobRepository(db)
    for key in (1, 2, 3):
        await repo.hold("quiz", key, 10, key, "a" if key < 3 else "b", 5_000, 0)
    assert await repo.release_all("a") == 2
    assert {job.key: job.claimed_by for job in await repo.all()} == {1: None, 2: None, 3: "b"}
    await repo.complete("quiz", 2)
    assert [job.key for job in await repo.all()] == [1, 3]


async def test_next_wake_is_the_first_moment_a_job_may_become_claimable(db: Database) -> None:
    repo = JobRepository(db)
    assert await repo.next_wake("a", 1_000, 500) is None, "nothing scheduled"
    await repo.hold("quiz", 1, 10, 1_200, "a", 9_000, 0)
    assert await repo.next_wake("a", 1_000, 500) is None, "a job this process holds is its task's to run"
    await repo.hold("quiz", 2, 10, 1_200, "b", 3_000, 0)
    assert await repo.next_wake("a", 1_000, 500) == 3_000, "another's job: when its lease runs out"
    await repo.schedule("quiz", 3, 10, 2_000)
    assert await repo.next_wake("a", 1_000, 500) == 2_000, "a free job: when it is due"
    await repo.schedule("quiz", 3, 10, 900)
    assert await repo.next_wake("a", 1_000, 500) == 1_400, "due already: when any process may take it"
    await repo.schedule("quiz", 4, 10, None)
    assert await repo.next_wake("a", 1_000, 500) == 1_400, "a parked job is never due"
