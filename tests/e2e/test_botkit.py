"""The bot-process helper the tests and the benchmark share (tests/botkit): it must fail loudly and start clean.

A helper that waited forever for a bot that had already died, or let a developer's shell settings into the bot,
would make every process test and every benchmark figure say less than it seems to.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.botkit import CHANNEL_ID, GUILD_ID
from tests.botkit.process import BARE_BOT, BotExited, BotProcess
from tests.fakediscord import FakeDiscord


async def test_a_bot_that_cannot_start_fails_at_once_with_its_output(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    bot = BotProcess(fake_discord, tmp_path, QUIZ_SECONDS="0")
    with pytest.raises(BotExited, match=r"exited \(status 2\) before it was ready") as failed:
        await bot.start(within=30)
    assert "QUIZ_SECONDS" in str(failed.value), "the error carries the bot's own output"
    stopped = await bot.stop()
    assert stopped.code == 2 and "QUIZ_SECONDS" in stopped.output and not stopped.forced


async def test_the_developers_settings_never_reach_the_bot(
    fake_discord: FakeDiscord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With these in the shell, a bot that read them would use another database and find no content."""
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/nothing")
    monkeypatch.setenv("CONTENT_DIR", str(tmp_path / "no-such-content"))
    monkeypatch.setenv("QUIZ_QUESTIONS", "0")
    fake_discord.add_guild(GUILD_ID, channels=[CHANNEL_ID])
    async with BotProcess(fake_discord, tmp_path, QUIZ_QUESTIONS="3") as bot:
        assert bot.env["QUIZ_QUESTIONS"] == "3" and "DATABASE_URL" not in bot.env and "CONTENT_DIR" not in bot.env
        stopped = await bot.stop(signal.SIGTERM)
    assert stopped.code == 0 and "shut down cleanly" in stopped.output
    assert (tmp_path / "bot.sqlite3").exists()


async def test_the_benchmarks_bare_bot_runs_under_the_same_helper(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    fake_discord.add_guild(GUILD_ID, channels=[CHANNEL_ID])
    bot = BotProcess(fake_discord, tmp_path, BARE_BOT)
    await bot.start()
    try:
        await fake_discord.wait_for(lambda: bool(fake_discord.global_commands), 30, "the bare bot's command sync")
        handle = await fake_discord.invoke("noop", guild_id=GUILD_ID, channel_id=CHANNEL_ID)
        assert (await handle.response(10))["data"]["content"] == "ok"
    finally:
        stopped = await bot.stop(signal.SIGKILL)
    assert stopped.code == -signal.SIGKILL and "Traceback" not in stopped.output
    assert bot.process is None and not bot.running
