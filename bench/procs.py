"""Bot processes under test: how each is started, and what /proc says about its memory and CPU."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.quiz.limits import SECONDS
from tests.fakediscord import FakeDiscord

BENCH_DIR = Path(__file__).resolve().parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class BotKind:
    key: str
    label: str
    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)


BARE = BotKind("bare", "bare discord.py bot", (sys.executable, str(BENCH_DIR / "bare_bot.py")))
STUDY = BotKind(
    "study",
    "study bot",
    (sys.executable, "-m", "bot", "run"),
    # The longest QUIZ_SECONDS allowed: each `answer` workload run starts its own quiz, and its question stays
    # open through that run's clicks (seconds at the usual rates; see README, "What runs").
    {"LOG_LEVEL": "WARNING", "QUIZ_SECONDS": str(SECONDS.high)},
)


class ProcessExited(RuntimeError):
    """The bot process ended before the benchmark was done with it (its log says why)."""


class BotProcess:
    """One bot process talking to ``fake``; its stdout and stderr go to ``workdir/bot.log``."""

    def __init__(self, kind: BotKind, fake: FakeDiscord, workdir: Path) -> None:
        self.kind = kind
        self.fake = fake
        self.workdir = workdir
        self.log_path = workdir / "bot.log"
        drop = {"CONTENT_DIR", "DEV_GUILD_ID", "DISCORD_TOKEN", "DATABASE_PATH"}
        self.env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("QUIZ_")}
        self.env.update(
            {
                "DISCORD_TOKEN": "bench-token",
                "DISCORD_API_URL": fake.api_base,
                "DISCORD_GATEWAY_URL": fake.gateway_url,
                "DATABASE_PATH": str(workdir / "bot.sqlite3"),
                **kind.env,
            }
        )
        self.process: asyncio.subprocess.Process | None = None
        self.started_at = 0.0
        """Event-loop time just before the process was spawned (the fake's timestamps use the same clock)."""

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def exited(self) -> bool:
        return self.process is None or self.process.returncode is not None

    async def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.started_at = asyncio.get_running_loop().time()
            self.process = await asyncio.create_subprocess_exec(
                *self.kind.argv,
                cwd=self.workdir,
                env=self.env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )

    async def wait_connected(self, within: float) -> None:
        """Until the bot identified and the fake wrote READY and every GUILD_CREATE to it."""
        identified = self.fake.identify_count

        def connected() -> bool:
            if self.exited:
                raise ProcessExited(f"{self.kind.label} exited early; log:\n{self.log_tail()}")
            return self.fake.identify_count > identified and self.fake.gateway.ready_event.is_set()

        await self.fake.wait_for(connected, within, f"{self.kind.label} to connect", poll=0.005)

    def status_kib(self, key: str) -> int:
        """A ``kB`` field of /proc/<pid>/status, e.g. VmRSS (resident memory) or VmHWM (its peak)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
        raise KeyError(key)

    def rss_kib(self) -> int:
        return self.status_kib("VmRSS")

    def cpu_seconds(self) -> float:
        """User + system CPU seconds the process has used so far (/proc/<pid>/stat)."""
        if self.exited:
            return 0.0
        stat = Path(f"/proc/{self.pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s."""
        process = self.process
        if process is None:
            return
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()
        self.process = None

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def log_problems(self) -> list[str]:
        """Errors the bot logged (the study bot logs at WARNING and above), one line each: the log line, plus the
        last line of its traceback when there is one."""
        problems: list[str] = []
        lines = self.log_text().splitlines()
        for index, line in enumerate(lines):
            if not any(mark in line for mark in (" ERROR ", " CRITICAL ")) and not line.startswith("Task exception"):
                continue
            block = [line]
            for follow in lines[index + 1 :]:
                if _TIMESTAMP.match(follow):
                    break
                block.append(follow)
            raised = ""  # the exception line that ends the (last) traceback in the block
            in_traceback = False
            for follow in block[1:]:
                if follow.startswith("Traceback"):
                    in_traceback = True
                elif in_traceback and follow and not follow.startswith(" "):
                    raised, in_traceback = follow.strip(), False
            problems.append(line.strip() + (f" -- {raised}" if raised else ""))
        return problems


_TIMESTAMP = re.compile(r"^\d\d:\d\d:\d\d ")
