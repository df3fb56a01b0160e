"""A bot in the test's own event loop against the fake Discord, for an ``async with`` block.

Why not always a process (``process.BotProcess``): in-process the test can give the bot a hand-moved clock,
look at its objects (``bot.services``), and start it in a few hundred milliseconds. Both run the same
``StudyBot``; what the process adds (signals, a restart on the same database, ``python -m bot``'s own start-up)
is what the process tests are for.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import TypeVar

import discord

from bot.discord_app.bot import StudyBot
from bot.discord_app.sync import SyncMode
from bot.services.app import App
from bot.services.bundle import Services
from bot.services.clock import Clock
from bot.services.publisher import Publisher
from bot.settings import Settings
from tests.fakediscord import FakeDiscord
from tests.helpers import make_settings

ClientT = TypeVar("ClientT", bound=discord.Client)


def bot_settings(tmp_path: Path, content_dir: Path | None = None, **extra: object) -> Settings:
    """The bot's settings for an in-process test: the shipped content, a database in ``tmp_path``."""
    return make_settings(tmp_path, content_dir, **extra)


@contextlib.asynccontextmanager
async def running_bot(
    fake: FakeDiscord,
    settings: Settings,
    mode: SyncMode = SyncMode.AUTO,
    timeout: float = 15.0,
    clock: Clock | None = None,
    bot_class: type[StudyBot] = StudyBot,
    build_services: Callable[[App, Clock, Publisher], Services] = Services.create,
) -> AsyncIterator[StudyBot]:
    """The study bot, started and ready (or failing with its start-up error), and closed afterwards.

    discord.py fires ``on_ready`` ``guild_ready_timeout`` seconds after the last GUILD_CREATE (2 by default);
    the bot gets 0.05 so a test does not wait for nothing. ``bot_class``: a test's subclass that overrides one of
    discord.py's hooks (e.g. ``before_identify_hook``), instead of patching the class every test shares.
    ``build_services``: the production factory, or a test's wrapper of it that puts a double into the graph.
    """
    bot = bot_class(settings, mode, clock, build_services=build_services, guild_ready_timeout=0.05)
    async with run_client(bot, fake, timeout=timeout, shards=settings.shards.ids) as running:
        yield running


@contextlib.asynccontextmanager
async def run_client(
    client: ClientT,
    fake: FakeDiscord,
    *,
    token: str = "fake-token",
    timeout: float = 15.0,
    wait_until_ready: bool = True,
    shards: Sequence[int] | None = None,
) -> AsyncIterator[ClientT]:
    """``client.start(token)`` in a task; wait until the fake wrote READY and every GUILD_CREATE to each of its
    connections (one per shard of ``shards``, default every shard of the fake) and, by default, until discord.py
    fired ``on_ready``; ``client.close()`` and await the task on exit.

    An error of ``start()`` is raised: before the block (a start-up error) or after it (an error while running or
    closing), so a bot that broke while the test looked elsewhere still fails the test. So does a ``start()`` that
    does not return within 10 s of ``close()``.
    """
    connections_before = fake.gateway.connection_count
    task = asyncio.create_task(client.start(token), name=f"bot-{id(client):x}")

    async def ready() -> None:
        await fake.wait_for(
            lambda: fake.gateway.is_ready(shards, since=connections_before),
            timeout,
            "the bot to connect and receive READY",
        )
        if wait_until_ready:
            await client.wait_until_ready()

    waiter = asyncio.create_task(ready(), name=f"bot-ready-{id(client):x}")
    finished = False
    try:
        done, _ = await asyncio.wait({task, waiter}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            task.result()  # raises the start-up error
            raise RuntimeError("the bot stopped before it was ready")
        if waiter not in done:
            raise TimeoutError(f"the bot was not ready after {timeout} s")
        waiter.result()
        yield client
        finished = True
    finally:
        if not waiter.done():
            waiter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await waiter
        await client.close()
        if finished:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, timeout=10)
        else:  # the error that ended the block (or start-up) is already on its way
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(task, timeout=5)
