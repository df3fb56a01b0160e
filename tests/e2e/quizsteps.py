"""Steps of a quiz through the fake Discord, shared by the end-to-end tests (in-process and bot processes alike):
start one, find its question messages and their answer buttons, click, wait for a title.

They read only what the fake Discord holds, the messages as a member would see them, so the same steps serve a
bot in the test's event loop and one in another process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.settings import Settings
from tests.botkit import CHANNEL_ID, GUILD_ID
from tests.botkit.inprocess import bot_settings
from tests.fakediscord import FakeDiscord


def quiz_settings(tmp_path: Path, seconds: int = 2, database_url: str | None = None) -> Settings:
    """Quick quizzes: two questions of ``seconds`` each, 0.2 s between a reveal and the next question; on SQLite
    in ``tmp_path``, or on PostgreSQL at ``database_url``."""
    return bot_settings(
        tmp_path, quiz_seconds=seconds, quiz_reveal_seconds=0.2, quiz_questions=2, database_url=database_url
    )


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


async def wait_titles(fake: FakeDiscord, text: str, count: int = 1, timeout: float = 15) -> list[dict[str, Any]]:
    def found() -> list[dict[str, Any]]:
        return [m for m in fake.channel_messages(CHANNEL_ID) if m.get("embeds") and text in embed(m).get("title", "")]

    await fake.wait_for(lambda: len(found()) >= count, timeout, f"{count} message(s) titled {text!r}")
    return found()


async def start(fake: FakeDiscord, user: int = 1, channel: int = CHANNEL_ID, **options: Any) -> dict[str, Any]:
    handle = await fake.invoke(
        "ketamine quiz start",
        options or None,
        guild_id=GUILD_ID,
        channel_id=channel,
        member=fake.make_member(user, f"member{user}"),
    )
    return await handle.response(5)
