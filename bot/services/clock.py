"""Time as a dependency: the real clock in production, a controllable one in tests."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Protocol


class Clock(Protocol):
    def now_ms(self) -> int:
        """Integer UTC milliseconds."""
        ...

    async def wait(self, until_ms: int, wake: asyncio.Event) -> None:
        """Return at ``until_ms``, or earlier once ``wake`` is set."""
        ...


class SystemClock:
    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000

    async def wait(self, until_ms: int, wake: asyncio.Event) -> None:
        """``asyncio.timeout``, not ``wait_for``: on Python 3.11 ``wait_for`` drops a cancellation that arrives as
        ``wake`` is set, and the cancelled task (a job loop being shut down) would go on waiting for ever."""
        delay = max(0.0, (until_ms - self.now_ms()) / 1000)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await wake.wait()
