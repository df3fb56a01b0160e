"""Run a real discord.py client against a FakeDiscord for the duration of an ``async with`` block."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import discord

    from .fake import FakeDiscord

ClientT = TypeVar("ClientT", bound="discord.Client")


@asynccontextmanager
async def run_bot(
    bot: ClientT,
    fake: FakeDiscord,
    *,
    token: str = "fake-token",
    timeout: float = 10.0,
    wait_until_ready: bool = True,
) -> AsyncIterator[ClientT]:
    """``bot.start(token)`` in a task; wait until the fake sent READY + GUILD_CREATEs to this bot (and, by
    default, until discord.py fired ``on_ready``); ``bot.close()`` and await the task on exit.

    discord.py fires ``on_ready`` ``guild_ready_timeout`` seconds (default 2) after the last GUILD_CREATE,
    so create test bots with e.g. ``guild_ready_timeout=0.05``.
    """
    sessions_before = fake.identify_count
    task = asyncio.create_task(bot.start(token), name=f"fakediscord-bot-{id(bot):x}")

    async def ready() -> None:
        await fake.wait_for(
            lambda: fake.identify_count > sessions_before and fake.gateway.ready_event.is_set(),
            timeout,
            "the bot to connect and receive READY",
        )
        if wait_until_ready:
            await bot.wait_until_ready()

    waiter = asyncio.create_task(ready())
    try:
        done, _ = await asyncio.wait({task, waiter}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            task.result()  # re-raises the login/connect error
            raise RuntimeError("bot.start() returned before the bot was ready")
        if waiter not in done:
            raise TimeoutError(f"bot not ready after {timeout}s")
        waiter.result()
        yield bot
    finally:
        if not waiter.done():
            waiter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await waiter
        await bot.close()
        # Errors of bot.start() were re-raised above already; wait_for cancels the task if it hangs.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, timeout=5.0)
