"""A bot as a real child process against the fake Discord: how the tests and the benchmark start and stop it.

Why a process and not a task: only a process can be SIGKILLed mid-quiz, shut down by SIGTERM or SIGINT the way
systemd and Ctrl-C do it, started again on the same database, and measured (memory, CPU) apart from the fake.

- Settings come only from the caller: every variable of ``bot.settings.Settings`` that the developer's shell may
  have set (``DATABASE_URL``, ``CONTENT_DIR``, ``QUIZ_SECONDS``...) is dropped first, so a test or a benchmark
  run never silently uses another database or other rules.
- Output goes to ``<workdir>/bot.log``, appended by every start: a chatty bot can never block on a full pipe, and
  what it logged is there to read while it runs and after it died.
- "Ready" means the fake Discord has written READY and every GUILD_CREATE to each of this process's gateway
  connections: one per shard it holds (every shard of the fake, or those its ``SHARD_IDS`` or ``--shards`` name);
  a process that exits before that fails at once with its exit code and the end of its output.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.shards import parse_shard_ids
from bot.settings import Settings
from tests.fakediscord import FakeDiscord

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SETTING_VARIABLES = frozenset(name.upper() for name in Settings.model_fields)
"""Environment variables the bot reads as settings; a bot process starts from none of the developer's."""
STOP_GRACE = 20.0
"""Seconds a bot gets to exit after SIGTERM or SIGINT before it is SIGKILLed (the bot's own drain is 10 s)."""


@dataclass(frozen=True)
class BotCommand:
    """Which bot to run: the arguments after the interpreter, and settings of its own."""

    key: str
    label: str
    args: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)


STUDY_BOT = BotCommand("study", "study bot", ("-m", "bot", "run"))
BARE_BOT = BotCommand("bare", "bare discord.py bot", (str(PROJECT_ROOT / "bench" / "bare_bot.py"),))
"""The benchmark's baseline (bench/bare_bot.py): ``/noop`` and the controls, nothing else."""


@dataclass(frozen=True)
class Exit:
    """How one run of a bot process ended."""

    code: int
    """The exit status; negative: ended by that signal (-9 after SIGKILL)."""
    output: str
    """What this run wrote (stdout and stderr together)."""
    forced: bool = False
    """It did not exit within the grace after the signal it was asked to stop with, and was SIGKILLed."""


class BotExited(RuntimeError):
    """The bot process ended before it was ready (or before the caller was done with it)."""


class BotProcess:
    """One bot in ``workdir`` talking to ``fake``; ``settings`` are environment variables (``QUIZ_SECONDS="4"``),
    ``args`` go after the command (``("--shards", "0-1", "--shard-count", "4")``).

    The database is ``workdir/bot.sqlite3`` unless the settings say otherwise, so a process started again in the
    same folder finds what the previous one stored. Output goes to ``log_name`` in ``workdir`` (two processes in
    one folder each need their own).
    """

    def __init__(
        self,
        fake: FakeDiscord,
        workdir: Path,
        command: BotCommand = STUDY_BOT,
        *,
        args: Sequence[str] = (),
        log_name: str = "bot.log",
        **settings: str,
    ) -> None:
        self.fake = fake
        self.workdir = workdir
        self.command = command
        self.args = tuple(args)
        self.log_path = workdir / log_name
        self.env = {k: v for k, v in os.environ.items() if k not in SETTING_VARIABLES}
        self.env.update(
            {
                "DISCORD_TOKEN": "fake-token",
                "DISCORD_API_URL": fake.api_base,
                "DISCORD_GATEWAY_URL": fake.gateway_url,
                "DATABASE_PATH": str(workdir / "bot.sqlite3"),
                "LOG_LEVEL": "INFO",
                **command.env,
                **settings,
            }
        )
        self.process: asyncio.subprocess.Process | None = None
        self.started_at = 0.0
        """Event-loop time just before the last start spawned the process (the fake's timestamps use this clock)."""
        self._connections_before = 0
        self._output_from = 0

    @property
    def shards(self) -> tuple[int, ...] | None:
        """The shards this process holds, as its ``--shards`` or ``SHARD_IDS`` say; None: every shard."""
        given = self.args[self.args.index("--shards") + 1] if "--shards" in self.args else self.env.get("SHARD_IDS")
        return parse_shard_ids(given) if given else None

    @property
    def label(self) -> str:
        return self.command.label

    @property
    def pid(self) -> int:
        if self.process is None:
            raise BotExited(f"{self.label} is not running")
        return self.process.pid

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def start(self, *, wait: bool = True, within: float = 30.0) -> None:
        """Spawn the process; by default also wait until it is ready (:meth:`wait_ready`)."""
        if self.running:
            raise RuntimeError(f"{self.label} is already running")
        self._connections_before = self.fake.gateway.connection_count
        self._output_from = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.started_at = asyncio.get_running_loop().time()
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                *self.command.args,
                *self.args,
                cwd=self.workdir,
                env=self.env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        if wait:
            await self.wait_ready(within)

    async def wait_ready(self, within: float = 30.0) -> None:
        """Until each shard this process holds is on a connection it opened, and the fake wrote READY and every
        GUILD_CREATE to it.

        Raises BotExited with the exit code and the end of the output if the process ends first.
        """

        def ready() -> bool:
            if self.process is None or self.process.returncode is not None:
                code = None if self.process is None else self.process.returncode
                raise BotExited(f"{self.label} exited (status {code}) before it was ready; output:\n{self.tail()}")
            return self.fake.gateway.is_ready(self.shards, since=self._connections_before)

        await self.fake.wait_for(ready, within, f"{self.label} to connect", poll=0.005)

    async def exited(self, within: float = 30.0) -> Exit:
        """Wait for a process expected to stop by itself (one refused at start-up): its exit code and output."""
        process = self.process
        if process is None:
            raise BotExited(f"{self.label} was not started")
        try:
            await asyncio.wait_for(process.wait(), within)
        except TimeoutError:
            raise AssertionError(f"{self.label} still runs after {within} s; output:\n{self.tail()}") from None
        return await self.stop()

    async def stop(self, signum: signal.Signals = signal.SIGTERM, grace: float = STOP_GRACE) -> Exit:
        """Send ``signum`` and wait for the process to exit; SIGKILL it if it is still there after ``grace`` s."""
        process = self.process
        if process is None:
            raise BotExited(f"{self.label} was not started")
        forced = False
        if process.returncode is None:
            process.send_signal(signum)
            try:
                await asyncio.wait_for(process.wait(), grace)
            except TimeoutError:
                forced = True
                process.kill()
                await process.wait()
        self.process = None
        assert process.returncode is not None
        return Exit(process.returncode, self._read()[self._output_from :].decode(errors="replace"), forced)

    async def kill(self) -> Exit:
        """SIGKILL: no clean-up of any kind, as in a crash or a host losing the process."""
        return await self.stop(signal.SIGKILL)

    async def close(self) -> Exit | None:
        """Stop the process if it is still running (SIGTERM, then SIGKILL): for ``finally`` blocks."""
        if self.process is None:
            return None
        return await self.stop(signal.SIGTERM, grace=10.0)

    async def __aenter__(self) -> BotProcess:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def output(self) -> str:
        """Everything every run in this folder wrote so far (a restart appends)."""
        return self._read().decode(errors="replace")

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.output.splitlines()[-lines:])

    def _read(self) -> bytes:
        try:
            return self.log_path.read_bytes()
        except FileNotFoundError:
            return b""
