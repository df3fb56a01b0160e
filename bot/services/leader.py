"""One leader among the bot's processes, for work that must not run in two at once: retention (deleting the data
of servers the bot left) and pushing the command tree to Discord.

The leader holds a lock (PostgreSQL's session advisory lock, on a connection of its own; on SQLite the one process
always leads). The others try to take it every ``retry_ms``, so when the leader's process ends, its session and
lock go with it and another process takes over at its next try. Each duty is started when this process becomes
the leader and stopped if it stops being one (its lock's connection dropped).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.services.clock import Clock
from bot.services.scheduler import Scheduler
from bot.storage.coordination import LeaderLock

log = logging.getLogger(__name__)

JOB = "leader"


async def _nothing() -> None:
    return None


@dataclass(frozen=True)
class Duty:
    name: str
    start: Callable[[], Awaitable[object]]
    stop: Callable[[], Awaitable[object]] = _nothing


class Leadership:
    def __init__(self, lock: LeaderLock, scheduler: Scheduler, clock: Clock, retry_ms: int) -> None:
        self.lock = lock
        self.scheduler = scheduler
        self.clock = clock
        self.retry_ms = retry_ms
        self.duties: list[Duty] = []
        self.is_leader = False

    def add(self, duty: Duty) -> None:
        self.duties.append(duty)

    async def start(self) -> None:
        """Try to lead now, so a process that leads does its duties' start-up work (a command sync, an overdue
        purge) before it takes input; errors of those first runs stop the start-up as they did before. Then keep
        trying (or checking the lock is still held) on the scheduler."""
        await self.elect(first=True)
        self.scheduler.schedule(JOB, self._watch())

    async def stop(self) -> None:
        self.scheduler.cancel(JOB)
        await self.scheduler.wait(JOB)
        if self.is_leader:
            await self._step_down()
        await self.lock.close()

    async def elect(self, *, first: bool = False) -> bool:
        """Become the leader if no other process is; notice when this process no longer is. Returns is_leader."""
        if self.is_leader:
            if await self.lock.still_held():
                return True
            log.warning("this process is no longer the leader")
            await self._step_down()
        try:
            won = await self.lock.try_acquire()
        except Exception as exc:
            log.warning("could not try to become the leader (%s); trying again in %.0f s", exc, self.retry_ms / 1000)
            return False
        if not won:
            if first:
                log.info("another process is the leader: it runs %s", ", ".join(d.name for d in self.duties) or "-")
            return False
        self.is_leader = True
        log.info("this process is the leader: %s here", ", ".join(d.name for d in self.duties) or "nothing to run")
        for duty in self.duties:
            if first:
                await duty.start()
                continue
            try:
                await duty.start()
            except Exception:
                log.exception("the leader's duty %s failed to start", duty.name)
        return True

    async def _watch(self) -> None:
        while True:
            await self.clock.wait(self.clock.now_ms() + self.retry_ms, asyncio.Event())
            try:
                await self.elect()
            except Exception:
                log.exception("the leader election failed; trying again in %.0f s", self.retry_ms / 1000)

    async def _step_down(self) -> None:
        self.is_leader = False
        for duty in self.duties:
            try:
                await duty.stop()
            except Exception:
                log.exception("the leader's duty %s failed to stop", duty.name)
