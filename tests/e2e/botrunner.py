"""Run the real StudyBot in-process against the fake Discord, and stop it cleanly."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from bot.discord_app.bot import StudyBot
from bot.discord_app.sync import SyncMode
from bot.services.clock import Clock
from bot.settings import Settings
from tests.fakediscord import FakeDiscord
from tests.helpers import make_settings

GUILD_ID = 4242
CHANNEL_ID = 4343


def bot_settings(tmp_path: Path, **extra: object) -> Settings:
    return make_settings(tmp_path, **extra)


@contextlib.asynccontextmanager
async def running_bot(
    fake: FakeDiscord,
    settings: Settings,
    mode: SyncMode = SyncMode.AUTO,
    timeout: float = 15.0,
    clock: Clock | None = None,
) -> AsyncIterator[StudyBot]:
    """Start the bot, wait until it is ready (or fail with its start-up error), and close it afterwards."""
    bot = StudyBot(settings, mode, clock, guild_ready_timeout=0.05)
    runner = asyncio.create_task(bot.start("fake-token"), name="bot-runner")
    ready = asyncio.create_task(bot.wait_until_ready(), name="bot-ready")
    done, _ = await asyncio.wait({runner, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    if runner in done:
        ready.cancel()
        runner.result()  # raises the start-up error
        raise RuntimeError("the bot stopped before it was ready")
    if ready not in done:
        ready.cancel()
        await bot.close()
        runner.cancel()
        raise TimeoutError("the bot did not become ready")
    try:
        yield bot
    finally:
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(runner, timeout=10)
