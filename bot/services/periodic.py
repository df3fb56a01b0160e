"""Run a piece of work at a fixed interval on the service clock, surviving its own failures.

The first run happens inside ``start``, so whatever start-up owes (a question of the day missed while the bot
was down, an overdue purge) is done before the bot takes input: the console shows it before its first prompt,
and no test has to race the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from bot.services.clock import Clock

log = logging.getLogger(__name__)


class Periodic:
    def __init__(self, name: str, every_ms: int, work: Callable[[], Awaitable[object]], clock: Clock) -> None:
        self.name = name
        self.every_ms = every_ms
        self.work = work
        self.clock = clock
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    async def start(self) -> None:
        self._stop.clear()
        await self._run_once()
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run_once(self) -> None:
        try:
            await self.work()
        except Exception:
            log.exception("%s failed; trying again in %d s", self.name, self.every_ms // 1000)

    async def _run(self) -> None:
        while not self._stop.is_set():
            await self.clock.wait(self.clock.now_ms() + self.every_ms, self._stop)
            if not self._stop.is_set():
                await self._run_once()
