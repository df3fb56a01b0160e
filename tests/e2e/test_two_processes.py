"""Two bot processes (``python -m bot run``) on ONE PostgreSQL database and the fake Discord: one is SIGKILLed
mid-question. Every acknowledged answer is kept; the other process posts its due reveal exactly once, within the
lease plus one second; a question of the day that comes due during the outage is posted once; after the restart
the quiz goes on from where it is.

Which process holds which server: the fake Discord is not sharded, so each process is told its servers with the
test-only ``TEST_OWNED_GUILDS`` (standing in for ``SHARD_IDS``), and the fake sends events to the process that
connected last, or, once that one is gone, to the other.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
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

OTHER_GUILD, OTHER_CHANNEL, STUDY = GUILD_ID + 100, CHANNEL_ID + 100, CHANNEL_ID + 1
LEASE_SECONDS = 2
MANAGE_GUILD = 0x20



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


async def admin(fake: FakeDiscord, name: str, **options: Any) -> None:
    member = fake.make_member(1, "admin", permissions=MANAGE_GUILD)
    handle = await fake.invoke(name, options, guild_id=GUILD_ID, channel_id=CHANNEL_ID, member=member)
    title = embed((await handle.response(5))["data"])["title"]
    assert title in {"Setting changed", "Setting unchanged", "Study group saved"}, title


async def test_a_killed_process_loses_nothing_and_another_does_its_due_work_once(
    fake_discord: FakeDiscord, tmp_path: Path, postgres_url: str
) -> None:
    fake = fake_discord
    fake.add_guild(GUILD_ID, channels=[CHANNEL_ID, STUDY])
    fake.add_guild(OTHER_GUILD, channels=[OTHER_CHANNEL])
    common = {
        "DATABASE_URL": postgres_url,
        "QUIZ_SECONDS": "5",
        "QUIZ_QUESTIONS": "2",
        "QUIZ_REVEAL_SECONDS": "0.5",
        "JOB_LEASE_SECONDS": str(LEASE_SECONDS),
        "JOB_POLL_SECONDS": "0.5",
    }
    (tmp_path / "other").mkdir()
    (tmp_path / "owner").mkdir()
    other = BotProcess(fake, tmp_path / "other", TEST_OWNED_GUILDS=str(OTHER_GUILD), **common)
    owner = BotProcess(fake, tmp_path / "owner", TEST_OWNED_GUILDS=str(GUILD_ID), **common)
    acknowledged = 0
    try:
        await other.start()
        await owner.start()  # connected last: the fake sends it the events (its server's clicks)
        starter = fake.make_member(1, "student1")
        started = await fake.invoke("ketamine quiz start", guild_id=GUILD_ID, channel_id=CHANNEL_ID, member=starter)
        assert embed((await started.response(10))["data"])["title"] == "Quiz starting"
        await fake.wait_for(lambda: len(questions(fake)) == 1, 15, "the first question")
        first = questions(fake)[0]
        for user in (2, 3, 4):
            assert (await click(fake, first, user)).startswith("Locked in")
            acknowledged += 1

        await owner.kill()
        killed_ms = time.time() * 1000
        conn = await asyncpg.connect(postgres_url)
        try:
            deadline_ms = await conn.fetchval("SELECT deadline_ms FROM quiz_questions WHERE position = 0")
        finally:
            await conn.close()

        def revealed() -> bool:
            return "the answer is" in embed(fake.messages[int(first["id"])]).get("title", "")

        await fake.wait_for(revealed, 20, "the other process revealing the first question")
        reveal = fake.messages[int(first["id"])]
        revealed_ms = datetime.fromisoformat(reveal["edited_timestamp"]).timestamp() * 1000
        due_ms = max(deadline_ms, killed_ms + LEASE_SECONDS * 1000)  # the owner's lease ran out by then
        assert revealed_ms <= due_ms + 1000, f"revealed {revealed_ms - due_ms:.0f} ms after it was due to the others"
        assert revealed_ms >= deadline_ms, "not before its deadline"
        assert embed(reveal)["footer"]["text"].endswith("3 answered"), "every acknowledged answer counts"

        # The owner is down: its server's events go to the other process now. A question of the day set up
        # for now comes due during the outage.
        hour = datetime.now(UTC).strftime("%H:00")
        await admin(fake, "ketamine-admin settings set", setting="timezone", value="UTC")
        await admin(fake, "ketamine-admin settings set", setting="daily_window_hours", value="2")
        await admin(fake, "ketamine-admin settings set", setting="daily_time", value=hour)
        await admin(fake, "ketamine-admin studygroup add", channel=STUDY, daily="on")
        await fake.wait_for(lambda: bool(titled(fake, STUDY, "Question of the day")), 15, "the question of the day")
        assert titled(fake, CHANNEL_ID, "Question 2/2") == [], "the next question waits for its own process"

        await owner.start()  # back: it takes its quiz over again and goes on
        await fake.wait_for(lambda: bool(titled(fake, CHANNEL_ID, "Question 2/2")), 20, "the second question")
        (second,) = titled(fake, CHANNEL_ID, "Question 2/2")
        for user in (2, 3):
            assert (await click(fake, second, user)).startswith("Locked in")
            acknowledged += 1
        await fake.wait_for(lambda: bool(titled(fake, CHANNEL_ID, "Quiz over")), 20, "the results")
    finally:
        await owner.close()
        await other.close()

    assert len(titled(fake, CHANNEL_ID, "Quiz over")) == 1
    assert len(titled(fake, STUDY, "Question of the day")) == 1, "posted once, not again by its restarted process"
    for title in ("Question 1/2", "Question 2/2"):
        assert len(titled(fake, CHANNEL_ID, title)) == 1, f"{title}: one message, revealed in place"
    conn = await asyncpg.connect(postgres_url)
    try:
        assert await conn.fetchval("SELECT COUNT(*) FROM quiz_answers") == acknowledged
        assert await conn.fetchval("SELECT COUNT(*) FROM quiz_questions WHERE revealed_ms IS NULL") == 1, (
            "only the question of the day is still open"
        )
    finally:
        await conn.close()
    assert "revealing it here" in other.output, "the other process made the reveal"
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
