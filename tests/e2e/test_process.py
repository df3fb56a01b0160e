"""``python -m bot`` as a real process: with DISCORD_TOKEN it connects to (the fake) Discord and answers."""

from __future__ import annotations

import re
from pathlib import Path

from tests.botkit import CHANNEL_ID, GUILD_ID
from tests.botkit.process import BotProcess
from tests.fakediscord import FakeDiscord


async def test_the_bot_process_connects_registers_and_answers(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    fake_discord.add_guild(GUILD_ID, channels=[CHANNEL_ID])
    bot = BotProcess(fake_discord, tmp_path)
    await bot.start()
    try:
        await fake_discord.wait_for(lambda: bool(fake_discord.global_commands), 30, "command sync")
        handle = await fake_discord.invoke(
            "ketamine mechanism", guild_id=GUILD_ID, channel_id=CHANNEL_ID, member=fake_discord.make_member(9, "cy")
        )
        response = await handle.response(10)
        assert response["data"]["embeds"][0]["title"].startswith("Mechanism")
    finally:
        await bot.close()
    assert "synced 2 top-level commands (global)" in bot.output
    frozen = re.search(r"start-up done: (\d+) objects kept out of garbage collection", bot.output)
    assert frozen and int(frozen[1]) > 10_000, "the process freezes what it built at start-up"
    assert "Traceback" not in bot.output
