"""Operations: graceful shutdown and resume, `sync`, `backup` during a quiz, JSON logs, --help everywhere."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.core.quiz import limits
from tests.botkit import CHANNEL_ID, GUILD_ID
from tests.botkit.process import BotProcess
from tests.e2e.quizsteps import answer_ids, embed, questions, wait_titles
from tests.fakediscord import FakeDiscord
from tests.helpers import cli


async def start_quiz(fake: FakeDiscord) -> dict[str, Any]:
    handle = await fake.invoke(
        "ketamine quiz start", guild_id=GUILD_ID, channel_id=CHANNEL_ID, member=fake.make_member(1, "starter")
    )
    assert embed((await handle.response(10))["data"])["title"] == "Quiz starting"
    await fake.wait_for(lambda: len(questions(fake)) == 1, 15, "first question")
    return questions(fake)[0]


async def answer(fake: FakeDiscord, message: dict[str, Any], user: int) -> None:
    handle = await fake.click(message, answer_ids(message)[0], member=fake.make_member(user, f"m{user}"))
    assert embed((await handle.response(5))["data"])["title"].startswith("Locked in")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_graceful_shutdown_then_resume(fake_discord: FakeDiscord, tmp_path: Path, signum: signal.Signals) -> None:
    fake = fake_discord
    fake.add_guild(GUILD_ID, channels=[CHANNEL_ID])
    seconds = str(limits.SECONDS.low)  # the first question's answers must all come in before its deadline
    bot = BotProcess(fake, tmp_path, QUIZ_SECONDS=seconds, QUIZ_QUESTIONS="2", QUIZ_REVEAL_SECONDS="0.2")
    await bot.start()
    try:
        first = await start_quiz(fake)
        await answer(fake, first, 2)
        await answer(fake, first, 3)
        stopped = await bot.stop(signum)
        assert stopped.code == 0 and not stopped.forced, stopped.output
        assert "shut down cleanly" in stopped.output
        with sqlite3.connect(tmp_path / "bot.sqlite3") as db:
            assert db.execute("SELECT COUNT(*) FROM quiz_answers").fetchone()[0] == 2
            assert db.execute("SELECT state FROM quiz_sessions").fetchone()[0] in {"asking", "revealing"}

        await bot.start()
        await answer(fake, first, 4)  # the quiz resumed: the same question still takes answers
        (second,) = await wait_titles(fake, "Question 2/2", timeout=15)
        for user in (2, 3, 4):  # everyone who played the first: revealed at once, not at the deadline
            await answer(fake, second, user)
        await wait_titles(fake, "Quiz over · results", timeout=30)
    finally:
        await bot.close()
    assert "resumed 1 running quiz" in bot.output and "Traceback" not in bot.output
    with sqlite3.connect(tmp_path / "bot.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM quiz_answers WHERE position = 0").fetchone()[0] == 3


async def test_backup_during_a_quiz_holds_every_earlier_answer(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    fake = fake_discord
    fake.add_guild(GUILD_ID, channels=[CHANNEL_ID])
    bot = BotProcess(fake, tmp_path, QUIZ_SECONDS="60", QUIZ_QUESTIONS="2")
    await bot.start()
    try:
        first = await start_quiz(fake)
        for user in range(2, 12):
            await answer(fake, first, user)
        result = await asyncio.to_thread(cli, tmp_path, "backup", str(tmp_path / "backups" / "copy.sqlite3"))
        assert result.returncode == 0, result.stderr
        assert "backed up" in result.stdout and "100%" in result.stderr
        await answer(fake, first, 12)  # the bot goes on while and after the backup runs
    finally:
        await bot.close()
    with sqlite3.connect(tmp_path / "backups" / "copy.sqlite3") as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        users = {r[0] for r in copy.execute("SELECT user_id FROM quiz_answers")}
    assert users == set(range(2, 12))


async def test_sync_command_pushes_globally_or_to_one_guild(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    fake_discord.add_guild(777, channels=[778])
    env = {
        "DISCORD_TOKEN": "fake-token",
        "DISCORD_API_URL": fake_discord.api_base,
        "DISCORD_GATEWAY_URL": fake_discord.gateway_url,
    }
    to_guild = await asyncio.to_thread(cli, tmp_path, "sync", "--guild", "777", env=env)
    assert to_guild.returncode == 0, to_guild.stderr
    assert [c["name"] for c in fake_discord.guild_commands[777]] == ["ketamine", "ketamine-admin"]
    assert fake_discord.global_commands == []
    globally = await asyncio.to_thread(cli, tmp_path, "sync", env=env)
    assert globally.returncode == 0, globally.stderr
    assert [c["name"] for c in fake_discord.global_commands] == ["ketamine", "ketamine-admin"]
    assert fake_discord.identify_count == 0, "sync talks REST only; it never connects to the gateway"


async def test_sync_to_a_server_the_bot_is_not_in(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    env = {
        "DISCORD_TOKEN": "t",
        "DISCORD_API_URL": fake_discord.api_base,
        "DISCORD_GATEWAY_URL": fake_discord.gateway_url,
    }
    result = await asyncio.to_thread(cli, tmp_path, "sync", "--guild", "31337", env=env)
    assert result.returncode == 1 and "applications.commands" in result.stderr and "Traceback" not in result.stderr


def test_sync_without_token_says_what_is_missing(tmp_path: Path) -> None:
    result = cli(tmp_path, "sync")
    assert result.returncode == 2 and "DISCORD_TOKEN" in result.stderr


def test_json_logs_and_migrate(tmp_path: Path) -> None:
    result = cli(tmp_path, "--log-json", "migrate")
    assert result.returncode == 0 and "schema version" in result.stdout
    entries = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    assert entries and all({"time", "level", "logger", "message"} <= set(e) for e in entries)
    assert any("migrated from version 0" in e["message"] for e in entries)


@pytest.mark.parametrize("command", [[], ["run"], ["console"], ["check"], ["sync"], ["migrate"], ["backup"]])
def test_every_command_has_help(tmp_path: Path, command: list[str]) -> None:
    result = cli(tmp_path, *command, "--help")
    assert result.returncode == 0 and "usage: python -m bot" in result.stdout


async def test_health_follows_the_heartbeat(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    fake_discord.add_guild(GUILD_ID, channels=[CHANNEL_ID])
    assert (await asyncio.to_thread(cli, tmp_path, "health")).returncode == 1  # never ran
    bot = BotProcess(fake_discord, tmp_path)
    await bot.start()
    try:

        async def healthy() -> bool:
            return (await asyncio.to_thread(cli, tmp_path, "health")).returncode == 0

        for _ in range(40):
            if await healthy():
                break
            await asyncio.sleep(0.25)
        else:
            raise AssertionError("the running bot never became healthy")
    finally:
        await bot.close()
    with sqlite3.connect(tmp_path / "bot.sqlite3") as db:
        db.execute("UPDATE meta SET value = '0' WHERE key LIKE 'heartbeat_ms%'")  # the bot's and each shard's
    stale = await asyncio.to_thread(cli, tmp_path, "health")
    assert stale.returncode == 1 and "unhealthy" in stale.stderr
