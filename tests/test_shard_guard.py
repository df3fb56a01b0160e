"""No two processes hold one shard (PostgreSQL): each shard's advisory lock on a session of the process's own, taken
before it connects; a shard held elsewhere refused with one line naming it; a dead process's locks free at once; a
lost lock connection taken again, or the process told to stop when another process took a shard meanwhile.
(SQLite: nothing is locked, the file's run lock refuses a second process; see test_processes and test_shards_e2e.)"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable

import pytest

from bot.services.clock import SystemClock
from bot.services.scheduler import Scheduler
from bot.services.shard_guard import ShardGuard, ShardsHeldElsewhere
from bot.storage.coordination import LocalShardLocks
from bot.storage.pgcoordination import PgShardLocks
from tests.jobkit import eventually
from tests.postgres import end_session


class Processes:
    """Each process's guard on its own lock session; all closed at the end (a process's end frees its locks)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.guards: list[ShardGuard] = []

    def guard(self, check_ms: int = 60_000) -> ShardGuard:
        clock = SystemClock()
        guard = ShardGuard(PgShardLocks(self.url), Scheduler(clock), clock, check_ms)
        self.guards.append(guard)
        return guard

    async def close(self) -> None:
        for guard in self.guards:
            await guard.stop()


@pytest.fixture
async def processes(postgres_url: str) -> AsyncIterator[Processes]:
    made = Processes(postgres_url)
    try:
        yield made
    finally:
        await made.close()


async def test_a_shard_held_by_another_process_is_refused_naming_it(processes: Processes) -> None:
    first, second, third = processes.guard(), processes.guard(), processes.guard()
    await first.hold([0, 1], 4)
    with pytest.raises(ShardsHeldElsewhere) as refused:
        await second.hold([1, 2], 4)
    assert refused.value.shards == (1,) and refused.value.exit_code == 1
    assert str(refused.value) == (
        "Shard 1 of 4 is already held by another bot process on this database, and each shard must be in exactly "
        "one process. Check SHARD_IDS (and SHARD_COUNT=4) of every process, so that each of shards 0-3 is in one "
        "of them, then start this one again."
    )
    assert second.locks.held == frozenset(), "a refused process keeps none of its shards"
    await third.hold([2, 3], 4)  # shard 2, tried by the refused process, is free
    with pytest.raises(ShardsHeldElsewhere, match=r"^Shards 0-1,3 of 4 are already held"):
        await processes.guard().hold([0, 1, 3], 4)


async def test_a_process_that_ends_frees_its_shards_at_once(processes: Processes) -> None:
    first, second = processes.guard(), processes.guard()
    await first.hold([0, 1], 2)
    await first.stop()  # the session ends, as when the process dies
    await second.hold([0, 1], 2)
    assert second.locks.held == {0, 1}


async def test_identifying_a_held_shard_takes_nothing_more_and_an_unheld_one_is_checked(processes: Processes) -> None:
    guard, other = processes.guard(), processes.guard()
    await guard.hold([0, 1], 4)
    await guard.ensure(1)  # a re-identify: the lock is held already
    await guard.ensure(2)  # a shard not locked at start-up (never, with the count fixed first): taken now
    assert guard.locks.held == {0, 1, 2} and guard.wanted == (0, 1, 2)
    await other.hold([3], 4)
    with pytest.raises(ShardsHeldElsewhere, match=r"^Shard 3 of 4 is already held"):
        await guard.ensure(3)


class CountingLocks(LocalShardLocks):
    """Shard locks that count what they are asked to take (PostgreSQL counts a lock taken twice in one session, which
    then needs two unlocks); shared, as on PostgreSQL."""

    shared = True

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[int] = []

    async def take(self, shards: Iterable[int]) -> list[int]:
        wanted = list(shards)
        self.asked.extend(wanted)
        return await super().take(wanted)


async def test_a_reidentify_does_not_take_the_lock_twice() -> None:
    clock = SystemClock()
    locks = CountingLocks()
    guard = ShardGuard(locks, Scheduler(clock), clock, 1_000)
    await guard.hold([0, 1], 2)
    for _ in range(3):
        await guard.ensure(0)
        await guard.ensure(1)
    await guard.stop()
    assert locks.asked == [0, 1]


class UnreachableLocks(CountingLocks):
    async def take(self, shards: Iterable[int]) -> list[int]:
        raise OSError("connection refused")


async def test_a_reidentify_while_the_database_is_away_goes_on_and_is_locked_later() -> None:
    clock = SystemClock()
    guard = ShardGuard(UnreachableLocks(), Scheduler(clock), clock, 1_000)
    guard.wanted = (0,)
    await guard.ensure(1)  # the locks' connection is gone and the database does not answer: no error for discord.py
    assert guard.wanted == (0, 1), "both are taken at the next check"
    await guard.check()  # still away: a warning, no error
    await guard.stop()


async def test_a_lost_lock_connection_is_taken_again(processes: Processes, postgres_url: str) -> None:
    guard, other = processes.guard(check_ms=100), processes.guard()
    await guard.hold([0, 1], 2)
    assert isinstance(guard.locks, PgShardLocks)
    cut = guard.locks.backend_pid()
    await end_session(postgres_url, cut)  # a database restart or a network cut
    locks = guard.locks
    await eventually(lambda: locks.backend_pid() not in (None, cut) and locks.held == {0, 1}, "the locks again", 10)
    with pytest.raises(ShardsHeldElsewhere):
        await other.hold([1], 2)


async def test_a_shard_taken_while_the_locks_were_lost_stops_the_process(processes: Processes, postgres_url: str) -> None:
    guard, intruder = processes.guard(), processes.guard()
    stopped: list[ShardsHeldElsewhere] = []
    guard.on_taken = stopped.append
    await guard.hold([0, 1], 4)
    assert isinstance(guard.locks, PgShardLocks)
    await end_session(postgres_url, guard.locks.backend_pid())
    await intruder.hold([1], 4)  # a misconfigured process started while the locks were gone
    await guard.check()
    assert [error.shards for error in stopped] == [(1,)]


async def test_sqlite_locks_nothing() -> None:
    clock = SystemClock()
    guard = ShardGuard(LocalShardLocks(), Scheduler(clock), clock, 1_000)
    assert not guard.enforced
    await guard.hold([0], 1)
    await guard.ensure(0)
    assert "shard-locks" not in guard.scheduler
    await guard.stop()

