"""The load generator: send interactions through the fake Discord with a fixed number in flight, and time them.

Latency is the fake's own ``InteractionHandle.latency``: from the moment the INTERACTION_CREATE frame is written
to the bot's websocket to the moment the fake accepts the bot's callback (both on this process's event loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import math
import os
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.fakediscord import FakeDiscord, InteractionHandle, InteractionRecord

JSON = dict[str, Any]
Send = Callable[[int], Awaitable[InteractionHandle]]
"""Send interaction number ``i`` of a workload; returns once the frame is on its way to the bot."""
Check = Callable[[JSON], str | None]
"""Look at an accepted callback body: None when it is the expected reply, else what is wrong with it."""

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
REPLY_TIMEOUT = 5.0
"""Seconds to wait for a callback; past the fake's 3 s rule the bot's answer is refused anyway."""


class BenchFake(FakeDiscord):
    """The project's fake Discord plus one cheap way to wait for a callback.

    ``InteractionHandle.response()`` polls through ``FakeDiscord.wait_for`` (an ``asyncio.wait_for`` per waiter,
    woken on every change of the fake). With 64 waiters that load generator would cost more CPU in this process
    than the fake itself; here each interaction gets one future, resolved from ``notify``.
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._waiting: dict[int, tuple[InteractionRecord, asyncio.Future[InteractionRecord]]] = {}

    def notify(self) -> None:
        super().notify()
        settled = [key for key, (record, _) in self._waiting.items() if record.callback or record.rejected_callbacks]
        for key in settled:
            record, future = self._waiting.pop(key)
            if not future.done():
                future.set_result(record)

    async def settled(self, handle: InteractionHandle, within: float = REPLY_TIMEOUT) -> InteractionRecord:
        """Wait until the interaction was answered (or a callback refused); TimeoutError after ``within`` s."""
        record = handle.record
        if record.callback is not None or record.rejected_callbacks:
            return record
        future: asyncio.Future[InteractionRecord] = asyncio.get_running_loop().create_future()
        self._waiting[handle.id] = (record, future)
        try:
            async with asyncio.timeout(within):
                return await future
        finally:
            self._waiting.pop(handle.id, None)


@dataclass
class Outcome:
    """One workload run: what was sent, how long each answer took, and what went wrong."""

    planned: int
    latencies: list[float] = field(default_factory=list)
    """Seconds, one per correct answer."""
    wall: float = 0.0
    timeouts: int = 0
    rejected: int = 0
    """Callbacks the fake refused (non-2xx), e.g. too late or invalid."""
    wrong: int = 0
    http_errors: int = 0
    """Other error answers of the fake during the run (``fake.errors`` on routes other than the callback, and
    unknown routes): e.g. a followup or a message edit the fake refused."""
    not_sent: int = 0
    """Interactions never sent because the run hit its time limit."""
    bot_cpu: float = 0.0
    """CPU seconds the bot process used during the run (user + system)."""
    db_cpu: float = 0.0
    """CPU seconds the database server used during the run (PostgreSQL; 0 on SQLite, which runs in the bot)."""
    fake_cpu: float = 0.0
    """CPU seconds this process (the fake Discord and the load generator) used during the run."""
    other_cpu: float = 0.0
    """CPU seconds the rest of the machine used during the run (other processes, and kernel time not charged
    to any of the above): a noise indicator; near 0 on a quiet machine."""
    examples: list[str] = field(default_factory=list)

    @property
    def done(self) -> int:
        return self.planned - self.not_sent

    @property
    def failures(self) -> int:
        return self.timeouts + self.rejected + self.wrong + self.http_errors + self.not_sent

    @property
    def throughput(self) -> float:
        return self.done / self.wall if self.wall > 0 else 0.0

    def percentile(self, q: float) -> float:
        return percentile(self.latencies, q)

    def note(self, text: str) -> None:
        if len(self.examples) < 5:
            self.examples.append(text)


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile (``q`` in 0..100) of unsorted values; NaN for none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: list[float]) -> float:
    clean = [v for v in values if not math.isnan(v)]
    return statistics.median(clean) if clean else math.nan


async def drive(
    fake: BenchFake,
    send: Send,
    check: Check,
    count: int,
    inflight: int,
    time_limit: float,
    cpu_seconds: Callable[[], float],
    first: int = 0,
    db_cpu_seconds: Callable[[], float] = lambda: 0.0,
) -> Outcome:
    """Send interactions ``first .. first+count-1`` with at most ``inflight`` unanswered at any time.

    New interactions stop being sent once ``time_limit`` seconds have passed; those count as ``not_sent``.
    """
    gc.collect()  # before the clock starts; see _no_collector_pauses
    loop = asyncio.get_running_loop()
    outcome = Outcome(planned=count)
    gate = asyncio.Semaphore(inflight)
    errors_before = len(fake.errors)
    unknown_before = len(fake.unknown_routes)
    cpu_before = cpu_seconds()
    db_before = db_cpu_seconds()
    own_before = time.process_time()
    machine_before = machine_busy_seconds()
    started = loop.time()
    stop_at = started + time_limit
    finished = started

    async def one(i: int) -> None:
        nonlocal finished
        async with gate:
            if loop.time() > stop_at:
                outcome.not_sent += 1
                return
            handle = await send(i)
            try:
                record = await fake.settled(handle)
            except TimeoutError:
                outcome.timeouts += 1
                outcome.note(f"#{i}: no callback within {REPLY_TIMEOUT:.0f} s")
                return
            finally:
                finished = max(finished, loop.time())
            if record.callback is None:
                outcome.rejected += 1
                outcome.note(f"#{i}: callback refused by the fake: {_short(record.rejected_callbacks[-1])}")
                return
            problem = check(record.callback)
            if problem is not None:
                outcome.wrong += 1
                outcome.note(f"#{i}: wrong reply: {problem}")
                return
            latency = handle.latency
            assert latency is not None
            outcome.latencies.append(latency)

    with _no_collector_pauses():
        await asyncio.gather(*(one(first + i) for i in range(count)))
    outcome.wall = finished - started
    outcome.bot_cpu = cpu_seconds() - cpu_before
    outcome.db_cpu = db_cpu_seconds() - db_before
    outcome.fake_cpu = time.process_time() - own_before
    ours = outcome.bot_cpu + outcome.db_cpu + outcome.fake_cpu
    outcome.other_cpu = max(0.0, machine_busy_seconds() - machine_before - ours)
    new_errors = [e for e in fake.errors[errors_before:] if not e.path.endswith("/callback")]
    unknown = fake.unknown_routes[unknown_before:]
    outcome.http_errors = len(new_errors) + len(unknown)
    for text in [str(e) for e in new_errors[:3]] + [f"unknown route {u}" for u in unknown[:3]]:
        outcome.note(f"fake answered {text}")
    return outcome


@contextlib.contextmanager
def _no_collector_pauses() -> Iterator[None]:
    """Keep this process's garbage collector off while a run is measured (and collect before it starts).

    This process is the fake Discord, and it keeps every message the bot sends: with the collector on, full
    collections paused it for up to 190 ms at a time in a 2000-interaction run (gc callbacks, measured), which
    stalled every interaction in flight and counted against whichever bot was running. The bots' own collectors
    stay on: their pauses are part of what is measured.
    """
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def machine_busy_seconds() -> float:
    """CPU seconds all CPUs of the machine have spent busy since boot (/proc/stat: everything but idle and iowait)."""
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


async def wait_quiet(max_wait: float, busy_limit: float = 0.15, window: float = 0.5) -> float:
    """Wait (up to ``max_wait`` s) until the machine is quiet: under ``busy_limit`` CPU-seconds per second in use
    over a ``window`` (no bot runs at that moment, so this is other work). Returns the last share measured."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + max_wait
    while True:
        before, own = machine_busy_seconds(), time.process_time()
        await asyncio.sleep(window)
        share = max(0.0, machine_busy_seconds() - before - (time.process_time() - own)) / window
        if share < busy_limit or loop.time() >= give_up:
            return share


def _short(value: object, limit: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def embed_title(callback: Mapping[str, Any]) -> str:
    data = callback.get("data") or {}
    embeds = data.get("embeds") or []
    return str(embeds[0].get("title", "")) if embeds else ""
