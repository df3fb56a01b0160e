"""Steps of a quiz through the fake Discord, shared by the end-to-end tests (in-process and bot processes alike):
start one, find its question messages and their answer buttons, click, wait for a title.

They read only what the fake Discord holds, the messages as a member would see them, so the same steps serve a
bot in the test's event loop and one in another process.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.core.quiz import limits
from bot.settings import Settings
from tests.botkit import CHANNEL_ID, GUILD_ID
from tests.botkit.inprocess import bot_settings
from tests.fakediscord import FakeDiscord
from tests.quizkit import FakeClock


def quiz_settings(
    tmp_path: Path, seconds: int = limits.SECONDS.low, reveal: float = 0.2, database_url: str | None = None
) -> Settings:
    """Two questions of ``seconds`` each (the shortest allowed by default); with a FakeClock pass ``reveal=0``, or
    the pause after each reveal waits for the clock too. On SQLite in ``tmp_path``, or PostgreSQL at ``database_url``."""
    return bot_settings(
        tmp_path, quiz_seconds=seconds, quiz_reveal_seconds=reveal, quiz_questions=2, database_url=database_url
    )


async def past_deadline(
    fake: FakeDiscord, clock: FakeClock, found: Callable[[], bool], what: str, seconds: int = limits.SECONDS.low
) -> None:
    """Move the hand-moved clock past the open question's deadline in one step, then wait for ``found()``: the
    question runs to its deadline without the test waiting out real seconds. One step, not a clock that keeps
    running, so the next question's deadline cannot pass before the test answers it, however slow the machine."""
    await clock.advance(seconds * 1000)
    await fake.wait_for(found, 10, what)


def questions(fake: FakeDiscord, channel: int = CHANNEL_ID) -> list[dict[str, Any]]:
    return [m for m in fake.channel_messages(channel, include_ephemeral=False) if answer_ids(m)]


def answer_ids(message: dict[str, Any]) -> list[str]:
    ids = [c["custom_id"] for row in message.get("components", []) for c in row.get("components", [])]
    return [i for i in ids if i.startswith("ksb:qa:")]


def embed(message: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = message["embeds"][0]
    return result


async def click(fake: FakeDiscord, message: dict[str, Any], custom_id: str, user: int) -> dict[str, Any]:
    handle = await fake.click(message, custom_id, member=fake.make_member(user, f"member{user}"))
    response = await handle.response(5)
    assert handle.latency is not None and handle.latency < 3
    return response


def titled(fake: FakeDiscord, text: str, channel: int = CHANNEL_ID) -> list[dict[str, Any]]:
    """The channel's messages whose title holds ``text``."""
    return [m for m in fake.channel_messages(channel) if m.get("embeds") and text in embed(m).get("title", "")]


async def wait_titles(
    fake: FakeDiscord, text: str, count: int = 1, timeout: float = 15, channel: int = CHANNEL_ID
) -> list[dict[str, Any]]:
    await fake.wait_for(
        lambda: len(titled(fake, text, channel)) >= count, timeout, f"{count} message(s) titled {text!r}"
    )
    return titled(fake, text, channel)


async def start(
    fake: FakeDiscord, user: int = 1, channel: int = CHANNEL_ID, guild: int = GUILD_ID, **options: Any
) -> dict[str, Any]:
    handle = await fake.invoke(
        "ketamine quiz start",
        options or None,
        guild_id=guild,
        channel_id=channel,
        member=fake.make_member(user, f"member{user}"),
    )
    return await handle.response(5)
