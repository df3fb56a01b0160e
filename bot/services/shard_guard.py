"""No two processes hold one shard: each shard a process connects is locked in the database first.

Real Discord keeps two sessions of one shard open side by side, so two processes misconfigured to hold the same
shard would both run its servers' quizzes. On PostgreSQL each shard has a session advisory lock
(``bot/storage/pgcoordination.py``), taken at start-up before this process resumes any of its servers' work or
connects to Discord, and checked again before each IDENTIFY (a re-identify finds it held: nothing more is taken).
A shard another process holds stops this one with one line naming the shards and what to check. A process that dies
loses its session, and its locks with it, so the next one can start at once.

If the locks' connection is lost while the bot runs (a database restart, a network cut), the locks went with it: the
guard takes them again on a new connection at its next check, and keeps trying while the database cannot be reached
(the rest of the bot cannot work without it either). If another process took one of its shards meanwhile, this one
stops loudly: the two would otherwise both answer that shard's servers.

On SQLite nothing is locked here: the database file's run lock already refuses a second process.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable

from bot.core.errors import OperatorError
from bot.core.shards import describe_ids
from bot.core.words import noun
from bot.services.clock import Clock
from bot.services.scheduler import Scheduler
from bot.storage.coordination import ShardLocks

log = logging.getLogger(__name__)

JOB = "shard-locks"


class ShardsHeldElsewhere(OperatorError):
    """Another process on this database holds one or more of this process's shards."""

    def __init__(self, shards: Iterable[int], count: int) -> None:
        taken = sorted(shards)
        names = noun(len(taken), "Shard")
        verb = "is" if len(taken) == 1 else "are"
        super().__init__(
            f"{names} {describe_ids(taken)} of {count} {verb} already held by another bot process on this database, "
            f"and each shard must be in exactly one process. Check SHARD_IDS (and SHARD_COUNT={count}) of every "
            f"process, so that each of shards 0-{count - 1} is in one of them, then start this one again."
        )
        self.shards = tuple(taken)
        self.count = count


class ShardGuard:
    def __init__(self, locks: ShardLocks, scheduler: Scheduler, clock: Clock, check_ms: int) -> None:
        self.locks = locks
        self.scheduler = scheduler
        self.clock = clock
        self.check_ms = check_ms
        self.count = 0
        self.wanted: tuple[int, ...] = ()
        """The shards this process holds (locked, or to be locked again after a lost connection)."""
        self.on_taken: Callable[[ShardsHeldElsewhere], None] = _raise
        """What to do when another process took a shard of this one's while its locks were lost: stop it."""
        self._unreachable = False

    @property
    def enforced(self) -> bool:
        """Whether shards are locked at all (PostgreSQL; on SQLite one process holds every shard)."""
        return self.locks.shared

    async def hold(self, shards: Iterable[int], count: int) -> None:
        """Lock this process's shards before it does anything for them; ShardsHeldElsewhere if any is taken (then
        none is kept: the process stops). Then check the locks every ``check_ms``."""
        self.wanted, self.count = tuple(sorted(shards)), count
        if not self.enforced:
            return
        refused = await self.locks.take(self.wanted)
        if refused:
            await self.locks.close()
            raise ShardsHeldElsewhere(refused, count)
        log.info("holding the locks of %s %s", noun(len(self.wanted), "shard"), describe_ids(self.wanted))
        if JOB not in self.scheduler:
            self.scheduler.schedule(JOB, self._watch())

    async def ensure(self, shard: int) -> None:
        """Before an IDENTIFY of ``shard``: held already (the usual case, also on a re-identify), or taken now;
        ShardsHeldElsewhere if another process holds it. While the database cannot be reached the shard connects
        anyway (the bot's sessions are its own; the periodic check takes the lock once the database answers)."""
        if not self.enforced or shard in self.locks.held:
            return
        self.wanted = tuple(sorted({*self.wanted, shard}))
        try:
            refused = await self.locks.take([shard])
        except Exception as exc:  # the database is away (its connection was lost): do not stop the gateway for it
            log.warning("cannot lock shard %d before it connects (%s); the next check takes it again", shard, exc)
            return
        if refused:
            raise ShardsHeldElsewhere([shard], self.count)

    async def check(self) -> None:
        """Take the locks again if their connection was lost; tell ``on_taken`` if another process has a shard."""
        if await self.locks.still_held() and self.locks.held >= set(self.wanted):
            return
        try:
            refused = await self.locks.take(self.wanted)
        except Exception as exc:
            if not self._unreachable:
                log.warning("cannot take the shard locks again (%s); trying every %.0f s", exc, self.check_ms / 1000)
            self._unreachable = True
            return
        self._unreachable = False
        if refused:
            error = ShardsHeldElsewhere(refused, self.count)
            log.error("%s", error)
            self.on_taken(error)
            return
        log.info("the shard locks were lost with their connection and are held again")

    async def stop(self) -> None:
        self.scheduler.cancel(JOB)
        await self.scheduler.wait(JOB)
        await self.locks.close()

    async def _watch(self) -> None:
        while True:
            await self.clock.wait(self.clock.now_ms() + self.check_ms, asyncio.Event())
            try:
                await self.check()
            except Exception:
                log.exception("checking the shard locks failed; trying again in %.0f s", self.check_ms / 1000)


def _raise(error: ShardsHeldElsewhere) -> None:
    raise error
