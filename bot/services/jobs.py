"""Jobs shared by every process on one database: work due at a time that exactly one process does.

A quiz's next move (its deadline and reveal, its results) and the question-of-the-day schedule are rows of the
``jobs`` table (``bot/storage/repositories/jobs.py``). This worker, one per process, runs three named jobs on the
one scheduler:

* ``jobs-loop`` claims due jobs and runs each as ``job:<kind>:<key>``. It sleeps until the next moment a job may
  become claimable, until another process signals (PostgreSQL's NOTIFY), or at most ``poll`` (the fallback when a
  signal is missed).
* ``jobs-leases`` renews the leases this process holds, every third of a lease. A lease found taken by another
  process (this one stalled past its lease) is reported to its holder here, which stops.
* ``jobs-signal`` listens again after the listening connection dropped; meanwhile polling goes on.

Which process does a job: the one whose shards hold the job's server (``owns``) does it as soon as it is due, and
holds the quizzes it drives for as long as they run. Any other process takes a job over only once that process has
left it undone: its lease ran out (it died), or the job stayed unclaimed ``grace`` past its due time. So a process
that dies loses nothing, and while it lives nothing is done twice. Work done twice anyway (a process stalled past
its lease) posts once: every post carries its nonce, and quiz saves are version-checked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.core.words import plural
from bot.services.clock import Clock
from bot.services.scheduler import Scheduler
from bot.storage.coordination import Signal
from bot.storage.repositories.jobs import JobRepository, JobRow

log = logging.getLogger(__name__)

CLAIM_BATCH = 20
"""Jobs claimed per look; more due at once are claimed by the next look, straight after."""
MAX_RETRY_MS = 300_000
"""A job that keeps failing is tried again after 2, 4, 8 ... seconds, at most this long."""
SIGNAL_RETRY_MS = (1_000, 2_000, 5_000, 10_000, 30_000)
STOP_GRACE_MS = 5_000
"""At shutdown, how long jobs running here may take to finish before they are cancelled (and taken over)."""


@dataclass(frozen=True)
class Outcome:
    """What a job's run decided: ``done`` (delete it), ``later`` (due again at ``due_ms``), ``parked`` (due when
    the process holding its server takes it), ``kept`` (a long-running task of this process holds it now)."""

    what: str
    due_ms: int | None = None


DONE = Outcome("done")
PARKED = Outcome("parked")
KEPT = Outcome("kept")


def later(due_ms: int) -> Outcome:
    return Outcome("later", due_ms)


Handler = Callable[[JobRow], Awaitable[Outcome]]


def worker_name() -> str:
    """This process's name in ``claimed_by``: readable in the database, and new at every start."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class JobWorker:
    def __init__(
        self,
        repo: JobRepository,
        signal: Signal,
        clock: Clock,
        scheduler: Scheduler,
        *,
        lease_ms: int,
        poll_ms: int,
        owns: Callable[[int], bool] = lambda guild_id: True,
        worker: str | None = None,
    ) -> None:
        self.repo = repo
        self.signal = signal
        self.clock = clock
        self.scheduler = scheduler
        self.lease_ms = lease_ms
        self.poll_ms = poll_ms
        self.owns = owns
        self.worker = worker or worker_name()
        self.handlers: dict[str, Handler] = {}
        self._held: dict[tuple[str, int], Callable[[], None]] = {}
        """Jobs held by long-running tasks of this process, each with what to do if its lease is lost."""
        self._tick = asyncio.Event()
        self._signal_failures = 0
        self._halt = asyncio.Event()
        """Set by ``stop``: the loop and the lease renewal end after what they are doing."""

    @property
    def grace_ms(self) -> int:
        """How long past its due time a job its server's process left unclaimed waits before others take it."""
        return self.lease_ms

    def handle(self, kind: str, handler: Handler) -> None:
        self.handlers[kind] = handler

    def held(self) -> set[tuple[str, int]]:
        return set(self._held)

    # Holding jobs ------------------------------------------------------------------------------------

    async def hold(
        self, kind: str, key: int, guild_id: int | None, due_ms: int | None, on_lost: Callable[[], None]
    ) -> None:
        """Hold one job for as long as a task of this process works on it (a quiz's runner), waiting while another
        process holds it. ``on_lost`` is called if another process takes it after all (see ``jobs-leases``)."""
        while not await self._try_hold(kind, key, guild_id, due_ms):
            holder = await self.repo.get(kind, key)
            now = self.clock.now_ms()
            until = now if holder is None or holder.lease_until_ms is None else holder.lease_until_ms
            log.debug("job %s:%d is held by %s; waiting", kind, key, holder and holder.claimed_by)
            await self.clock.wait(min(until, now + self.poll_ms), self._tick)
        self._held[(kind, key)] = on_lost

    async def adopt(self, kind: str, key: int, guild_id: int | None, due_ms: int | None) -> None:
        """Take a job whoever holds it: a process starting up takes back its own servers' quizzes, which its
        earlier run held (that run is gone; waiting out its lease would only stall them)."""
        now = self.clock.now_ms()
        await self.repo.hold(kind, key, guild_id, due_ms, self.worker, now + self.lease_ms, now, force=True)

    async def _try_hold(self, kind: str, key: int, guild_id: int | None, due_ms: int | None) -> bool:
        now = self.clock.now_ms()
        return await self.repo.hold(kind, key, guild_id, due_ms, self.worker, now + self.lease_ms, now)

    async def due(self, kind: str, key: int, guild_id: int | None, due_ms: int | None) -> None:
        """The job is next due at ``due_ms`` (created if needed; its holder keeps it)."""
        await self.repo.schedule(kind, key, guild_id, due_ms)

    async def let_go(self, kind: str, key: int) -> None:
        """Stop holding a job, leaving it due as it is; others hear of it at once."""
        self._held.pop((kind, key), None)
        if await self.repo.release(kind, key, self.worker, None, keep_due=True):
            await self.notify()

    async def complete(self, kind: str, key: int) -> None:
        self._held.pop((kind, key), None)
        await self.repo.complete(kind, key)

    async def run_now(self, kind: str, key: int, guild_id: int | None, due_ms: int | None) -> bool:
        """Run one job here and now if no other process holds it (start-up work owed). False if one does."""
        if not await self._try_hold(kind, key, guild_id, due_ms):
            return False
        job = await self.repo.get(kind, key)
        if job is None:
            return False
        await self._run(job)
        return True

    async def notify(self) -> None:
        try:
            await self.signal.notify()
        except Exception:
            log.warning("could not signal the other processes; they see the change when they next look", exc_info=True)

    def wake(self) -> None:
        """Look at the jobs now (a signal arrived): every wait on the current tick ends."""
        tick, self._tick = self._tick, asyncio.Event()
        tick.set()

    # Running -----------------------------------------------------------------------------------------

    async def start(self) -> None:
        self._halt.clear()
        await self._listen()
        self.scheduler.schedule("jobs-leases", self._renew_leases())
        self.scheduler.schedule("jobs-loop", self._loop())

    async def stop(self) -> None:
        """Stop claiming, let the jobs running here finish (for a while), and let go of everything held, so the
        other processes need not wait for the leases. The loop ends after its current look rather than being
        cancelled inside a claim's transaction."""
        self._halt.set()
        self.wake()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(STOP_GRACE_MS / 1000):
                for name in ("jobs-loop", "jobs-leases"):
                    await self.scheduler.wait(name)
                for name in [n for n in self.scheduler.names if n.startswith("job:")]:
                    await self.scheduler.wait(name)
        for name in ("jobs-loop", "jobs-leases", "jobs-signal"):
            self.scheduler.cancel(name)
            await self.scheduler.wait(name)
        await self.scheduler.cancel_all("job:")
        try:
            released = await self.repo.release_all(self.worker)
        except Exception:
            log.warning("could not let go of this process's jobs; others take them when the leases run out")
            released = 0
        self._held.clear()
        if released:
            await self.notify()
        await self.signal.close()

    def accepts(self, job: JobRow) -> bool:
        """Whether this process claims a due (or parked) job that nobody holds, or whose lease ran out."""
        mine = job.guild_id is None or self.owns(job.guild_id)
        if job.due_ms is None:
            return mine  # parked: its server's process asks the next question, where the clicks arrive
        if job.claimed_by is not None or mine:
            return True  # a lease ran out (its holder is gone), or the job is this process's own
        return job.due_ms <= self.clock.now_ms() - self.grace_ms

    async def look(self) -> int | None:
        """Claim what is due and start it; return when to look again (None: nothing scheduled)."""
        while True:
            now = self.clock.now_ms()
            claimed = await self.repo.claim_due(self.worker, now, now + self.lease_ms, CLAIM_BATCH, self.accepts)
            for job in claimed:
                self._held.setdefault(job.ident, _nothing)
                self.scheduler.schedule(f"job:{job.kind}:{job.key}", self._run(job))
            if len(claimed) < CLAIM_BATCH:
                # From the claim's own moment: a job that fell due while the claim was on its way was not claimed,
                # and asking from a later moment would leave it out (the next wake is strictly after the moment).
                return await self.repo.next_wake(self.worker, now, self.grace_ms)

    async def _loop(self) -> None:
        failures = 0
        while not self._halt.is_set():
            tick = self._tick  # a signal arriving while we look makes the wait below return at once
            try:
                upcoming = await self.look()
                failures = 0
            except Exception:
                failures += 1
                log.exception("looking for due jobs failed (%s in a row)", failures)
                upcoming = None
            now = self.clock.now_ms()
            until = now + self.poll_ms if upcoming is None else min(upcoming, now + self.poll_ms)
            await self.clock.wait(until, tick)

    async def _run(self, job: JobRow) -> None:
        handler = self.handlers.get(job.kind)
        try:
            if handler is None:
                raise LookupError(f"no handler for jobs of kind {job.kind!r}")
            outcome = await handler(job)
        except asyncio.CancelledError:
            self._held.pop(job.ident, None)
            with contextlib.suppress(Exception):  # shutting down: a lease not let go runs out by itself
                await self.repo.release(job.kind, job.key, self.worker, None, keep_due=True)
            raise
        except Exception:
            delay = min(2_000 * 2 ** max(job.attempts - 1, 0), MAX_RETRY_MS)
            log.exception(
                "job %s:%d failed (%s); trying again in %d s",
                job.kind,
                job.key,
                plural(job.attempts, "try"),
                delay // 1000,
            )
            self._held.pop(job.ident, None)
            await self.repo.release(job.kind, job.key, self.worker, self.clock.now_ms() + delay, succeeded=False)
            await self.notify()
            return
        if outcome.what == "kept":
            return  # a task of this process holds it now (its hold registered it)
        self._held.pop(job.ident, None)
        if outcome.what == "done":
            await self.repo.complete(job.kind, job.key)
            return
        await self.repo.release(job.kind, job.key, self.worker, outcome.due_ms)
        await self.notify()  # its server's process may be waiting for it

    async def _renew_leases(self) -> None:
        while True:
            await self.clock.wait(self.clock.now_ms() + max(self.lease_ms // 3, 1), self._halt)
            if self._halt.is_set():
                return
            before = set(self._held)
            try:
                still = await self.repo.extend(self.worker, self.clock.now_ms() + self.lease_ms)
            except Exception:
                log.warning("could not renew this process's job leases; trying again", exc_info=True)
                continue
            for ident in before - still:
                on_lost = self._held.pop(ident, None)
                if on_lost is not None:
                    log.warning("job %s:%d was taken over by another process; stopping it here", *ident)
                    on_lost()

    # Listening ---------------------------------------------------------------------------------------

    async def _listen(self) -> None:
        if not await self._try_listen():
            self._lost_signal()

    async def _try_listen(self) -> bool:
        try:
            await self.signal.listen(self.wake, self._lost_signal)
        except Exception as exc:
            if self._signal_failures == 0:
                log.warning(
                    "cannot hear other processes' signals (%s); looking every %.1f s until it can",
                    exc,
                    self.poll_ms / 1000,
                )
            return False
        if self._signal_failures:
            log.info("hearing other processes' signals again")
        self._signal_failures = 0
        self.wake()  # signals may have been missed meanwhile
        return True

    def _lost_signal(self) -> None:
        if "jobs-signal" not in self.scheduler:
            self.scheduler.schedule("jobs-signal", self._listen_again())

    async def _listen_again(self) -> None:
        while True:
            delay = SIGNAL_RETRY_MS[min(self._signal_failures, len(SIGNAL_RETRY_MS) - 1)]
            self._signal_failures += 1
            await self.clock.wait(self.clock.now_ms() + delay, asyncio.Event())
            if await self._try_listen():
                return


def _nothing() -> None:
    """A claimed job's lease was lost while the loop's task ran it: the task finds out when it lets go."""
