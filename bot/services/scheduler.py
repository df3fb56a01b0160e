"""One scheduler for every background job, each under a name: a quiz's runner (``quiz-12``), the question of the
day (``question-of-the-day``), retention (``privacy-purge``), the answer writer (``answer-flush``), review cards
from revealed answers (``review-cards``) and review upkeep (``review-upkeep``).

Jobs are found, replaced and cancelled by name, a job that fails is logged with its name instead of vanishing
with its task, and shutting down cancels every job in one place, so nothing is left running after the bot
stops. Times come from the service clock, so tests move them by hand.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from bot.services.clock import Clock

log = logging.getLogger(__name__)

Job = Coroutine[Any, Any, None]


class Scheduler:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._jobs: dict[str, asyncio.Task[None]] = {}

    def __contains__(self, name: str) -> bool:
        task = self._jobs.get(name)
        return task is not None and not task.done()

    @property
    def names(self) -> list[str]:
        return [name for name in self._jobs if name in self]

    def schedule(self, name: str, job: Job) -> asyncio.Task[None]:
        """Run ``job`` as ``name``; if a job of that name is still running, keep it and drop this one."""
        running = self._jobs.get(name)
        if running is not None and not running.done():
            job.close()
            return running
        task = asyncio.create_task(job, name=name)
        self._jobs[name] = task
        task.add_done_callback(lambda done: self._finished(name, done))
        return task

    def schedule_at(self, name: str, when_ms: int, job: Job) -> asyncio.Task[None]:
        """Run ``job`` as ``name`` once the clock reaches ``when_ms``."""
        task = self.schedule(name, self._later(when_ms, job))
        # A task cancelled before its first step never enters ``_later``: close the job it will not run (closing
        # a finished one does nothing).
        task.add_done_callback(lambda _: job.close())
        return task

    async def every(self, name: str, every_ms: int, work: Callable[[], Awaitable[object]]) -> None:
        """Run ``work`` now, then every ``every_ms``; a failed run is logged and the next one comes as usual.

        The first run happens before this returns, so whatever start-up owes (a question of the day missed while
        the bot was down, an overdue purge) is done before the bot takes input.
        """
        await _run_logged(name, work, every_ms)
        self.schedule(name, self._repeat(name, every_ms, work))

    def cancel(self, name: str) -> None:
        task = self._jobs.get(name)
        if task is not None:
            task.cancel()

    async def wait(self, name: str) -> None:
        """Wait for job ``name`` to end, if it runs."""
        task = self._jobs.get(name)
        if task is not None and not task.done():
            await asyncio.wait({task})

    async def cancel_all(self, prefix: str = "") -> None:
        """Cancel every job whose name starts with ``prefix`` (all of them by default) and wait for them to end."""
        tasks = [task for name, task in self._jobs.items() if name.startswith(prefix) and not task.done()]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _later(self, when_ms: int, job: Job) -> None:
        try:
            await self.clock.wait(when_ms, asyncio.Event())
        except BaseException:
            job.close()
            raise
        await job

    async def _repeat(self, name: str, every_ms: int, work: Callable[[], Awaitable[object]]) -> None:
        while True:
            await self.clock.wait(self.clock.now_ms() + every_ms, asyncio.Event())
            await _run_logged(name, work, every_ms)

    def _finished(self, name: str, task: asyncio.Task[None]) -> None:
        if self._jobs.get(name) is task:
            del self._jobs[name]
        if not task.cancelled() and task.exception() is not None:
            log.error("job %s stopped by an unexpected error", name, exc_info=task.exception())


async def _run_logged(name: str, work: Callable[[], Awaitable[object]], every_ms: int) -> None:
    try:
        await work()
    except Exception:
        log.exception("%s failed; trying again in %d s", name, every_ms // 1000)
