"""Run ``python -m bot run`` as a real process against the fake Discord, and kill it the hard way."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.fakediscord import FakeDiscord


class BotProcess:
    def __init__(self, fake: FakeDiscord, workdir: Path, **settings: str) -> None:
        self.fake = fake
        self.workdir = workdir
        self.env = {k: v for k, v in os.environ.items() if k not in {"CONTENT_DIR", "DEV_GUILD_ID"}}
        self.env.update(
            {
                "DISCORD_TOKEN": "fake-token",
                "DISCORD_API_URL": fake.api_base,
                "DISCORD_GATEWAY_URL": fake.gateway_url,
                "DATABASE_PATH": str(workdir / "bot.sqlite3"),
                "LOG_LEVEL": "INFO",
                **settings,
            }
        )
        self.process: asyncio.subprocess.Process | None = None
        self.logs: list[str] = []

    async def start(self) -> None:
        identified = self.fake.identify_count
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=self.workdir,
            env=self.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        await self.fake.wait_for(lambda: self.fake.identify_count > identified, 30, "the bot process to identify")

    async def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as in a crash or a host losing the process."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self._collect()

    async def stop_with(self, signum: signal.Signals, grace: float = 20) -> int:
        """Ask the bot to stop with a signal and wait for it to exit; return its exit status."""
        assert self.process is not None
        process = self.process
        process.send_signal(signum)
        output, _ = await asyncio.wait_for(process.communicate(), grace)
        self.logs.append(output.decode(errors="replace"))
        self.process = None
        assert process.returncode is not None
        return process.returncode

    async def terminate(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
        await self._collect()

    async def _collect(self) -> None:
        if self.process is None:
            return
        output, _ = await asyncio.wait_for(self.process.communicate(), 30)
        self.logs.append(output.decode(errors="replace"))
        self.process = None

    @property
    def log(self) -> str:
        return "\n".join(self.logs)
