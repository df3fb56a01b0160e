"""The bot past one shard and one process, as real processes against the sharded fake Discord.

- One process, two shards (discord.py's AutoShardedBot taking the count from GET /gateway/bot): quizzes in servers
  on both shards run to their results; health reports both shards; log lines name them.
- Two processes on PostgreSQL, shards 0-1 and 2-3 of 4: each is sent only its own servers' events and answers them.
- On PostgreSQL a process whose shards overlap another's (1-2 beside 0-1) is refused with one line before it connects
  a shard, and starts once the other is SIGKILLed (its session, and its shard locks, end with it); a process whose
  shard another takes while its lock connection is cut stops with the same line.
- On SQLite a second ``run`` is refused while the first runs (console, health and backup still work), and is let
  in once the first is SIGKILLed; a slice of the shards is refused at once. Both messages name PostgreSQL.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
from pathlib import Path

import asyncpg

from bot.storage.pgcoordination import SHARD_LOCKS
from tests.botkit.process import BotProcess
from tests.e2e.quizsteps import answer_ids, click, questions, start, wait_titles
from tests.fakediscord import FakeDiscord
from tests.helpers import cli

FAST_SHARDS = {"DISCORD_IDENTIFY_SECONDS": "0"}
"""Testing only: no 5 s wait between one shard identifying and the next."""
ONE_QUICK_QUESTION = {"QUIZ_QUESTIONS": "1", "QUIZ_SECONDS": "5", "QUIZ_REVEAL_SECONDS": "0.2"}


def servers(fake: FakeDiscord) -> list[int]:
    """One server (with a channel of id server + 1) on each of the fake's shards, ids ascending."""
    guilds: list[int] = []
    for shard in range(fake.shard_count):
        guilds.append(fake.guild_on_shard(shard, after=guilds[-1] if guilds else 1 << 32))
        fake.add_guild(guilds[-1], f"Server on shard {shard}", channels=[guilds[-1] + 1])
    return guilds


def sent(fake: FakeDiscord, shard: int, event: str = "GUILD_CREATE") -> list[int | None]:
    """The servers of each ``event`` the fake sent to the connection holding ``shard``."""
    conn = fake.gateway.holder(shard)
    assert conn is not None and conn.session is not None, f"no connection holds shard {shard}"
    return [guild for name, guild in conn.session.dispatched if name == event]


def held_elsewhere(shard: int, count: int) -> str:
    """The one line a process stops with when another process holds one of its shards."""
    return (
        f"Shard {shard} of {count} is already held by another bot process on this database, and each shard must be "
        f"in exactly one process. Check SHARD_IDS (and SHARD_COUNT={count}) of every process, so that each of shards "
        f"0-{count - 1} is in one of them, then start this one again."
    )


async def healthy(folder: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m bot health`` once it passes: the bot records its first heartbeat when discord.py fires on_ready,
    a moment after the fake has written READY."""
    for _ in range(40):
        result = await asyncio.to_thread(cli, folder, "health", *args, env=env)
        if result.returncode == 0:
            return result
        await asyncio.sleep(0.25)
    raise AssertionError(f"never healthy: {result.stderr}")


async def quiz_to_the_end(fake: FakeDiscord, guild: int, user: int) -> None:
    channel = guild + 1
    started = await start(fake, user=user, channel=channel, guild=guild)
    assert started["data"]["embeds"][0]["title"] == "Quiz starting"
    await fake.wait_for(lambda: len(questions(fake, channel)) == 1, 15, f"the question in server {guild}")
    question = questions(fake, channel)[0]
    ack = await click(fake, question, answer_ids(question)[0], user)
    assert ack["data"]["embeds"][0]["title"] == "Locked in: A"
    await wait_titles(fake, "Quiz over · results", timeout=30, channel=channel)


async def test_one_process_holds_two_shards_and_runs_quizzes_on_both(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    fake = fake_discord
    fake.shard_count = 2  # what GET /gateway/bot recommends; the bot has no shard settings
    first, second = servers(fake)
    bot = BotProcess(fake, tmp_path, **FAST_SHARDS, **ONE_QUICK_QUESTION)
    await bot.start()
    try:
        assert sent(fake, 0) == [first] and sent(fake, 1) == [second]
        assert fake.gateway.holder(0) is not fake.gateway.holder(1), "a connection of its own per shard"
        await fake.wait_for(lambda: bool(fake.global_commands), 15, "command sync")
        await asyncio.gather(quiz_to_the_end(fake, first, 7), quiz_to_the_end(fake, second, 8))

        health = await healthy(tmp_path)
        assert health.stdout.startswith("healthy: all 2 shards connected"), health.stdout
        assert re.search(r"^  shard 1: last heartbeat \d+ s ago$", health.stdout, re.MULTILINE)
    finally:
        await bot.close()
    assert fake.errors == []
    assert "shard 0 ready: 1 server" in bot.output and "shard 1 ready: 1 server" in bot.output
    assert re.search(r"INFO    \[shards 0-1/2\] bot\.discord_app\.bot: connected as ", bot.output), bot.tail()
    assert "Traceback" not in bot.output



async def test_two_processes_each_get_only_their_shards_servers(
    fake_discord: FakeDiscord, tmp_path: Path, postgres_url: str
) -> None:
    fake = fake_discord
    fake.shard_count = 4
    guilds = servers(fake)
    shared = {"DATABASE_URL": postgres_url, **FAST_SHARDS, **ONE_QUICK_QUESTION}
    low = BotProcess(fake, tmp_path, args=("--shards", "0-1", "--shard-count", "4"), log_name="low.log", **shared)
    high = BotProcess(fake, tmp_path, log_name="high.log", SHARD_COUNT="4", SHARD_IDS="2-3", **shared)
    try:
        await low.start()
        assert sorted(fake.gateway.shards) == [0, 1], "shards 2 and 3 wait for their own process"
        await high.start()
        assert [sent(fake, shard) for shard in range(4)] == [[g] for g in guilds]
        await fake.wait_for(lambda: bool(fake.global_commands), 15, "command sync")
        await asyncio.gather(quiz_to_the_end(fake, guilds[1], 7), quiz_to_the_end(fake, guilds[2], 8))
        for held in ("0-1", "2-3"):  # each process's health check looks at its own shards in the shared database
            health = await healthy(tmp_path, "--shards", held, "--shard-count", "4", env={"DATABASE_URL": postgres_url})
            assert health.stdout.startswith(f"healthy: shards {held} of 4 connected"), health.stdout
        assert [set(sent(fake, shard, "INTERACTION_CREATE")) for shard in range(4)] == [
            set(),
            {guilds[1]},
            {guilds[2]},
            set(),
        ]
    finally:
        await high.close()
        await low.close()
    assert fake.errors == []
    assert re.search(r"\[shards 0-1/4\] bot\.discord_app\.bot: connected as \S+ to 2 servers", low.output)
    assert re.search(r"\[shards 2-3/4\] bot\.discord_app\.bot: connected as \S+ to 2 servers", high.output)
    assert "Traceback" not in low.output + high.output


async def test_a_process_holding_a_shard_another_holds_is_refused_before_it_connects(
    fake_discord: FakeDiscord, tmp_path: Path, postgres_url: str
) -> None:
    fake = fake_discord
    fake.shard_count = 4
    guilds = servers(fake)
    shared = {"DATABASE_URL": postgres_url, **FAST_SHARDS}
    first = BotProcess(fake, tmp_path, args=("--shards", "0-1", "--shard-count", "4"), log_name="first.log", **shared)
    overlapping = BotProcess(fake, tmp_path, log_name="second.log", SHARD_COUNT="4", SHARD_IDS="1-2", **shared)
    try:
        await first.start()
        holder, identified = fake.gateway.holder(1), fake.identify_count
        await overlapping.start(wait=False)
        refused = await overlapping.exited()
        assert refused.code == 1
        assert refused.output.splitlines()[-1] == held_elsewhere(1, 4)
        assert "Traceback" not in refused.output
        assert fake.identify_count == identified and fake.gateway.holder(1) is holder, "shard 1 is still the first's"
        handle = await fake.invoke("ketamine mechanism", guild_id=guilds[1], channel_id=guilds[1] + 1)
        assert (await handle.response(10))["data"]["embeds"][0]["title"].startswith("Mechanism")

        await first.kill()  # its session ends with it, and its shard locks with the session
        await overlapping.start()
        assert fake.gateway.holder(1) is not holder
        handle = await fake.invoke("ketamine mechanism", guild_id=guilds[2], channel_id=guilds[2] + 1)
        assert (await handle.response(10))["data"]["embeds"][0]["title"].startswith("Mechanism")
    finally:
        await overlapping.close()
        await first.close()
    assert "holding the locks of shards 1-2" in overlapping.output
    assert fake.errors == []


async def test_a_process_whose_shard_was_taken_while_its_locks_were_lost_stops_with_the_line(
    fake_discord: FakeDiscord, tmp_path: Path, postgres_url: str
) -> None:
    """The locks' connection is cut (a database restart, a network cut) and, before the process takes them again
    (it checks every JOB_POLL_SECONDS), another process takes one of its shards: the process stops rather than answer
    that shard's servers as well."""
    fake = fake_discord
    fake.shard_count = 2
    servers(fake)
    bot = BotProcess(fake, tmp_path, SHARD_COUNT="2", SHARD_IDS="0-1", JOB_POLL_SECONDS="3", DATABASE_URL=postgres_url)
    await bot.start()
    conn = await asyncpg.connect(postgres_url)
    try:
        pid = await conn.fetchval(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = $1::bigint::oid AND objid = 1 "
            "AND objsubid = 2",
            SHARD_LOCKS,
        )
        assert pid is not None, "shard 1's lock is held by the bot's session"
        assert await conn.fetchval("SELECT pg_terminate_backend($1)", pid)
        for _ in range(2000):  # the other process: it takes shard 1 as soon as the cut session is gone
            if await conn.fetchval("SELECT pg_try_advisory_lock($1, 1)", SHARD_LOCKS):
                break
            await asyncio.sleep(0.001)
        else:
            raise AssertionError("shard 1's lock was never free")
        stopped = await bot.exited(within=20)
    finally:
        await conn.close()
        await bot.close()
    assert stopped.code == 1
    assert stopped.output.splitlines()[-1] == held_elsewhere(1, 2)
    assert "Traceback" not in stopped.output


async def test_a_second_run_on_one_sqlite_file_is_refused(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    fake = fake_discord
    (guild,) = servers(fake)
    first = BotProcess(fake, tmp_path)
    second = BotProcess(fake, tmp_path, log_name="second.log")
    await first.start()
    try:
        await second.start(wait=False)
        refused = await second.exited()
        assert refused.code == 1
        (line,) = [line for line in refused.output.splitlines() if line.strip()]
        assert line.startswith(
            f"Another bot process (pid {first.pid}) is already running on {tmp_path / 'bot.sqlite3'}"
        )
        assert "PostgreSQL" in line

        # The other commands work beside the running bot.
        backup = await asyncio.to_thread(cli, tmp_path, "backup", str(tmp_path / "copy.sqlite3"))
        assert backup.returncode == 0, backup.stderr
        assert (await healthy(tmp_path)).stdout.startswith("healthy")
        console = await asyncio.to_thread(cli, tmp_path, "console", stdin="/ketamine mechanism\n")
        assert console.returncode == 0 and "Mechanism" in console.stdout, console.stderr

        await first.kill()  # no clean-up at all: the operating system releases the lock with the process
        await second.start()
        handle = await fake.invoke("ketamine mechanism", guild_id=guild, channel_id=guild + 1)
        assert (await handle.response(10))["data"]["embeds"][0]["title"].startswith("Mechanism")
    finally:
        await second.close()
        await first.close()


async def test_a_slice_of_the_shards_on_sqlite_is_refused(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    fake_discord.shard_count = 4
    bot = BotProcess(fake_discord, tmp_path, args=("--shards", "0-1", "--shard-count", "4"))
    await bot.start(wait=False)
    refused = await bot.exited()
    assert refused.code == 2
    (line,) = [line for line in refused.output.splitlines() if line.strip()]
    assert line.startswith("This process would hold shards 0-1 of 4, leaving shards 2-3 to other processes")
    assert "SQLite" in line and "PostgreSQL" in line
    assert fake_discord.identify_count == 0 and fake_discord.requests == [], "refused before reaching Discord"


async def test_a_shard_count_discord_refuses_stops_the_bot_with_one_line(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    fake_discord.shard_count = 2
    servers(fake_discord)
    bot = BotProcess(fake_discord, tmp_path, SHARD_COUNT="3", **FAST_SHARDS)  # every shard, but of another count
    await bot.start(wait=False)
    stopped = await bot.exited()
    assert stopped.code == 1
    assert fake_discord.gateway.refused and all(code == 4010 for _, code in fake_discord.gateway.refused)
    assert stopped.output.splitlines()[-1] == (
        "Discord refused this process's shards (all 3 shards): SHARD_COUNT must be the same in every process of the "
        "bot, and SHARD_IDS below it. Check both settings, or leave them unset to hold every shard in one process."
    )
    assert "Traceback" not in stopped.output
