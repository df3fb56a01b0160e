"""What each process of the scale run used, second by second: the bots' resident memory (its peak), and the CPU of
each bot, of PostgreSQL, of this process (the fake Discord and the players) and of the whole machine.

Averages over a run hide what makes latency: a second in which the machine's CPUs were all busy queues every click
that arrives in it. So the report gives the busiest second of each process and how many seconds the machine was
saturated, next to the run's totals.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bench.load import machine_busy_seconds
from bench.procs import cpu_seconds, rss_kib
from tests.botkit.process import BotProcess

WINDOW = 1.0
"""Seconds per sample."""
SATURATED = 0.95
"""A window in which the machine's CPUs were busy at least this share of the time counts as saturated."""


@dataclass
class Sampler:
    bots: Sequence[BotProcess]
    db_cpu: Callable[[], float]
    peak_kib: list[int] = field(default_factory=list)
    windows: list[dict[str, float]] = field(default_factory=list)
    """CPU-seconds per second in each window: ``bot0``, ``bot1``..., ``db``, ``fake``, ``machine``."""
    _task: asyncio.Task[None] | None = None

    def memory(self) -> list[int]:
        return [rss_kib(bot) if bot.running else 0 for bot in self.bots]

    def _cpu(self) -> dict[str, float]:
        figures = {f"bot{number}": cpu_seconds(bot) for number, bot in enumerate(self.bots)}
        figures |= {"db": self.db_cpu(), "fake": time.process_time(), "machine": machine_busy_seconds()}
        return figures

    async def _run(self) -> None:
        self.peak_kib = self.memory()
        before, at = self._cpu(), time.monotonic()
        while True:
            await asyncio.sleep(WINDOW)
            now, then = self._cpu(), time.monotonic()
            self.windows.append({key: (now[key] - before[key]) / (then - at) for key in now})
            before, at = now, then
            self.peak_kib = [max(a, b) for a, b in zip(self.peak_kib, self.memory(), strict=True)]

    def __enter__(self) -> Sampler:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._task is not None:
            self._task.cancel()

    def busiest(self) -> dict[str, float]:
        """Each process's (and the machine's) highest CPU use in one window, in CPUs (1.0: one core all the time)."""
        keys = self.windows[0].keys() if self.windows else ()
        return {key: max(window[key] for window in self.windows) for key in keys}

    def saturated_seconds(self) -> float:
        """Seconds in which the machine's CPUs were (nearly) all busy."""
        cpus = os.cpu_count() or 1
        return WINDOW * sum(1 for window in self.windows if window["machine"] >= SATURATED * cpus)
