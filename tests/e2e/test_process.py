"""``python -m bot`` as a real process: with DISCORD_TOKEN it connects to (the fake) Discord and answers."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.e2e.botrunner import CHANNEL_ID, GUILD_ID
from tests.fakediscord import FakeDiscord


async def test_the_bot_process_connects_registers_and_answers(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    fake_discord.add_guild(GUILD_ID, channels=[CHANNEL_ID])
    env = {k: v for k, v in os.environ.items() if k not in {"CONTENT_DIR", "DEV_GUILD_ID"}}
    env.update(
        {
            "DISCORD_TOKEN": "fake-token",
            "DISCORD_API_URL": fake_discord.api_base,
            "DISCORD_GATEWAY_URL": fake_discord.gateway_url,
            "DATABASE_PATH": str(tmp_path / "bot.sqlite3"),
            "LOG_LEVEL": "INFO",
        }
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        await fake_discord.wait_for(lambda: bool(fake_discord.global_commands), 30, "command sync")
        await fake_discord.wait_ready(30)
        handle = await fake_discord.invoke(
            "ketamine mechanism", guild_id=GUILD_ID, channel_id=CHANNEL_ID, member=fake_discord.make_member(9, "cy")
        )
        response = await handle.response(10)
        assert response["data"]["embeds"][0]["title"].startswith("Mechanism")
    finally:
        process.terminate()
        output, _ = await asyncio.wait_for(process.communicate(), 30)
    log = output.decode()
    assert "synced 1 top-level commands (global)" in log
    assert "Traceback" not in log
