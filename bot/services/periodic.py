"""Run a piece of work at a fixed interval on the service clock, surviving its own failures."""

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

    def start(self) -> None:
        self._stop.clear()
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await self.work()
            except Exception:
                log.exception("%s failed; trying again in %d s", self.name, self.every_ms // 1000)
            await self.clock.wait(self.clock.now_ms() + self.every_ms, self._stop)
