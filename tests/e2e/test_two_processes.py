"""Two bot processes on ONE PostgreSQL database and the sharded fake Discord (4 shards: one process holds 0-1, the
other 2-3; each is sent only its own shards' events). Quizzes run in servers of both at once; one process is
SIGKILLed while its quiz's question is open. Every acknowledged answer is kept; the other process posts the due
reveal exactly once, within the lease plus one second; a question of the day that comes due during the outage is
posted once; after the restart (the same shards) the quiz goes on from where it is.

While a process is down Discord sends its shards' events nowhere, so nothing can be asked of its servers then: the
question of the day is set up beforehand, for the next whole minute (``daily_time`` is HH:MM, the slot a whole
minute in UTC), so the slot comes while the process is down. The test therefore waits up to a minute for it.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from bot.core.reply import Reply
from bot.discord_app.publisher import DiscordPublisher
from tests.botkit import CHANNEL_ID, GUILD_ID
from tests.botkit.inprocess import bot_settings, running_bot
from tests.botkit.process import BotProcess
from tests.e2e.quizsteps import answer_ids, embed, questions
from tests.fakediscord import FakeDiscord

LEASE_SECONDS = 2
MANAGE_GUILD = 0x20
SET_UP_SECONDS = 6
"""At least this long between setting the question of the day's time and its slot: the SIGKILL comes first."""


def titled(fake: FakeDiscord, channel: int, start: str) -> list[dict[str, Any]]:
    return [
        m
        for m in fake.channel_messages(channel, include_ephemeral=False)
        if m.get("embeds") and embed(m).get("title", "").startswith(start)
    ]


async def click(fake: FakeDiscord, message: dict[str, Any], user: int) -> str:
    handle = await fake.click(message, answer_ids(message)[user % 2], member=fake.make_member(user, f"student{user}"))
    title: str = embed((await handle.response(5))["data"])["title"]
    return title


async def admin(fake: FakeDiscord, guild: int, name: str, **options: Any) -> None:
    member = fake.make_member(1, "admin", permissions=MANAGE_GUILD)
    handle = await fake.invoke(name, options, guild_id=guild, channel_id=guild + 1, member=member)
    title = embed((await handle.response(5))["data"])["title"]
    assert title in {"Setting changed", "Setting unchanged", "Study group saved"}, title


async def start_quiz(fake: FakeDiscord, guild: int) -> dict[str, Any]:
    """Start a quiz in the server's first channel; its first question, once posted."""
    channel = guild + 1
    started = await fake.invoke("ketamine quiz start", guild_id=guild, channel_id=channel, member=fake.make_member(1))
    reply = embed((await started.response(10))["data"])
    assert reply["title"] == "Quiz starting", reply.get("description")
    await fake.wait_for(lambda: len(questions(fake, channel)) == 1, 15, f"the first question in server {guild}")
    return questions(fake, channel)[0]


def next_slot() -> datetime:
    """The first whole minute (UTC) at least SET_UP_SECONDS away."""
    soon = datetime.now(UTC) + timedelta(seconds=SET_UP_SECONDS)
    return soon.replace(second=0, microsecond=0) + timedelta(minutes=1)


async def test_a_killed_process_loses_nothing_and_another_does_its_due_work_once(
    fake_discord: FakeDiscord, tmp_path: Path, postgres_url: str
) -> None:
    fake = fake_discord
    fake.shard_count = 4
    guilds: list[int] = []
    for shard in range(4):
        guilds.append(fake.guild_on_shard(shard, after=guilds[-1] if guilds else 1 << 32))
        fake.add_guild(guilds[-1], f"Server on shard {shard}", channels=[guilds[-1] + 1, guilds[-1] + 2])
    daily_guild, doomed_guild, kept_guild = guilds[0], guilds[1], guilds[2]  # shards 0 and 1: the killed process's
    doomed_channel, kept_channel, study = doomed_guild + 1, kept_guild + 1, daily_guild + 2
    common = {
        "DATABASE_URL": postgres_url,
        "QUIZ_SECONDS": "5",
        "QUIZ_QUESTIONS": "2",
        "QUIZ_REVEAL_SECONDS": "0.5",
        "JOB_LEASE_SECONDS": str(LEASE_SECONDS),
        "JOB_POLL_SECONDS": "0.5",
        "DISCORD_IDENTIFY_SECONDS": "0",
    }
    (tmp_path / "low").mkdir()
    (tmp_path / "high").mkdir()
    owner = BotProcess(fake, tmp_path / "low", args=("--shards", "0-1", "--shard-count", "4"), **common)
    other = BotProcess(fake, tmp_path / "high", SHARD_COUNT="4", SHARD_IDS="2-3", **common)
    acknowledged = {doomed_channel: 0, kept_channel: 0}
    try:
        await asyncio.gather(owner.start(), other.start())
        await fake.wait_for(lambda: bool(fake.global_commands), 15, "command sync")

        # A question of the day in a server of the owner's, at the next whole minute: after the SIGKILL below.
        slot = next_slot()
        await admin(fake, daily_guild, "ketamine-admin settings set", setting="daily_time", value=f"{slot:%H:%M}")
        await admin(fake, daily_guild, "ketamine-admin studygroup add", channel=study, daily="on")
        assert titled(fake, study, "Question of the day") == [], "not due yet"

        # A quiz in a server of each process at once, each with acknowledged answers.
        kept_first, first = await asyncio.gather(start_quiz(fake, kept_guild), start_quiz(fake, doomed_guild))
        for user in (2, 3, 4):
            assert (await click(fake, first, user)).startswith("Locked in")
            acknowledged[doomed_channel] += 1
        for user in (5, 6):
            assert (await click(fake, kept_first, user)).startswith("Locked in")
            acknowledged[kept_channel] += 1

        assert datetime.now(UTC) < slot, "the set-up took longer than SET_UP_SECONDS"
        await owner.kill()
        killed_ms = time.time() * 1000
        conn = await asyncpg.connect(postgres_url)
        try:
            deadline_ms = await conn.fetchval(
                "SELECT q.deadline_ms FROM quiz_questions q JOIN quiz_sessions s ON s.id = q.session_id "
                "WHERE s.channel_id = $1 AND q.position = 0",
                doomed_channel,
            )
            stored = await conn.fetchval(
                "SELECT COUNT(*) FROM quiz_answers a JOIN quiz_sessions s ON s.id = a.session_id "
                "WHERE s.channel_id = $1",
                doomed_channel,
            )
        finally:
            await conn.close()
        assert stored == acknowledged[doomed_channel], "every acknowledged answer was stored before the kill"

        def revealed() -> bool:
            return "the answer is" in embed(fake.messages[int(first["id"])]).get("title", "")

        await fake.wait_for(revealed, 20, "the other process revealing the first question")
        reveal = fake.messages[int(first["id"])]
        revealed_ms = datetime.fromisoformat(reveal["edited_timestamp"]).timestamp() * 1000
        due_ms = max(deadline_ms, killed_ms + LEASE_SECONDS * 1000)  # the owner's lease ran out by then
        assert revealed_ms <= due_ms + 1000, f"revealed {revealed_ms - due_ms:.0f} ms after it was due to the others"
        assert revealed_ms >= deadline_ms, "not before its deadline"
        assert embed(reveal)["footer"]["text"].endswith("3 answered"), "every acknowledged answer counts"

        # The other process's own quiz goes on to its results meanwhile.
        await fake.wait_for(lambda: bool(titled(fake, kept_channel, "Question 2/2")), 20, "its second question")
        (kept_second,) = titled(fake, kept_channel, "Question 2/2")
        assert (await click(fake, kept_second, 5)).startswith("Locked in")
        acknowledged[kept_channel] += 1
        await fake.wait_for(lambda: bool(titled(fake, kept_channel, "Quiz over")), 20, "its results")

        # The question of the day comes due while the owner is down: the other process posts it.
        wait = (slot - datetime.now(UTC)).total_seconds() + 15
        await fake.wait_for(lambda: bool(titled(fake, study, "Question of the day")), wait, "the question of the day")
        assert titled(fake, doomed_channel, "Question 2/2") == [], "the next question waits for its own process"

        await owner.start()  # back, with the same shards: it takes its quiz over again and goes on
        await fake.wait_for(lambda: bool(titled(fake, doomed_channel, "Question 2/2")), 20, "the second question")
        (second,) = titled(fake, doomed_channel, "Question 2/2")
        for user in (2, 3):
            assert (await click(fake, second, user)).startswith("Locked in")
            acknowledged[doomed_channel] += 1
        await fake.wait_for(lambda: bool(titled(fake, doomed_channel, "Quiz over")), 20, "the results")
        await asyncio.sleep(1)  # time enough for a second question of the day, were the restart to post one
    finally:
        await owner.close()
        await other.close()

    for channel in (doomed_channel, kept_channel):
        assert len(titled(fake, channel, "Quiz over")) == 1
        for title in ("Question 1/2", "Question 2/2"):
            assert len(titled(fake, channel, title)) == 1, f"{title}: one message, revealed in place"
    assert len(titled(fake, study, "Question of the day")) == 1, "posted once, not again by its restarted process"
    conn = await asyncpg.connect(postgres_url)
    try:
        for channel, count in acknowledged.items():
            stored = await conn.fetchval(
                "SELECT COUNT(*) FROM quiz_answers a JOIN quiz_sessions s ON s.id = a.session_id "
                "WHERE s.channel_id = $1",
                channel,
            )
            assert stored == count, f"channel {channel}: {stored} answers stored, {count} acknowledged"
        assert await conn.fetchval("SELECT COUNT(*) FROM quiz_questions WHERE revealed_ms IS NULL") == 1, (
            "only the question of the day is still open"
        )
    finally:
        await conn.close()
    assert other.output.count("revealing it here") == 1, "the other process made the reveal, once"
    assert f"posted in channel {study}" in other.output, "the other process posted the question of the day"
    assert f"posted in channel {study}" not in owner.output
    assert "Traceback" not in other.output + owner.output
    assert fake.errors == []


async def test_a_message_posted_twice_with_its_nonce_appears_once(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    """What makes a job run twice (two processes, or one again after a crash) post once: the bot's publisher sends
    each quiz message's nonce with ``enforce_nonce``, and Discord (here the fake) returns the first message."""
    fake = fake_discord
    fake.add_guild(GUILD_ID, channels=[CHANNEL_ID])
    async with running_bot(fake, bot_settings(tmp_path)) as bot:
        publisher = DiscordPublisher(bot)
        reply = Reply(title="Quiz over · results", body="Nobody answered.")
        first, again = await asyncio.gather(
            publisher.post(CHANNEL_ID, reply, "nonce-of-results-1"),
            publisher.post(CHANNEL_ID, reply, "nonce-of-results-1"),
        )
        other = await publisher.post(CHANNEL_ID, reply, "nonce-of-results-2")
    assert first is not None and first == again and other not in (None, first)
    assert len(titled(fake, CHANNEL_ID, "Quiz over")) == 2
