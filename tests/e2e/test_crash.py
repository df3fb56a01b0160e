"""Crash test: 20 members answer continuously while the bot process is SIGKILLed at random moments.

Seeded (``CRASH_SEED``) so a failure can be replayed. Afterwards every acknowledged answer is in the
database exactly once, no question was revealed twice, and the quiz reached its results.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import random
from pathlib import Path
from typing import Any

from bot.core.quiz import limits
from bot.storage.connect import open_database
from tests.botkit import CHANNEL_ID, GUILD_ID
from tests.botkit.process import BotProcess
from tests.e2e.quizsteps import answer_ids, embed, questions
from tests.fakediscord import FakeDiscord
from tests.helpers import make_settings

MEMBERS = 20
KILLS = 5
QUESTIONS = 12


def quiz_key(custom_id: str) -> tuple[int, int]:
    _, _, session, position, _ = custom_id.split(":")
    return int(session), int(position)


async def test_random_sigkills_lose_nothing(
    fake_discord: FakeDiscord, tmp_path: Path, database_url: str | None
) -> None:
    seed = int(os.environ.get("CRASH_SEED", "20261124"))
    rnd = random.Random(seed)
    fake = fake_discord
    fake.add_guild(GUILD_ID, channels=[CHANNEL_ID])
    seconds = str(limits.SECONDS.low)  # after the first, a question is revealed once every member has answered it
    engine = {"DATABASE_URL": database_url} if database_url else {}
    bot = BotProcess(
        fake, tmp_path, QUIZ_SECONDS=seconds, QUIZ_QUESTIONS=str(QUESTIONS), QUIZ_REVEAL_SECONDS="0.3", **engine
    )
    acknowledged: list[tuple[int, int, int]] = []
    done = asyncio.Event()

    def results() -> list[dict[str, Any]]:
        return [
            m
            for m in fake.channel_messages(CHANNEL_ID)
            if m.get("embeds") and embed(m).get("title") == "Quiz over · results"
        ]

    async def member(user: int) -> None:
        mine = random.Random(seed * 100 + user)
        answered: set[tuple[int, int]] = set()
        profile = fake.make_member(user, f"student{user}")
        while not done.is_set():
            for message in questions(fake):
                ids = answer_ids(message)
                if not ids or quiz_key(ids[0]) in answered:
                    continue
                try:
                    handle = await fake.click(message, mine.choice(ids), member=profile)
                    response = await handle.response(3)
                except Exception:  # the bot is down, or died before answering: try again later
                    break
                title = embed(response["data"])["title"]
                if title.startswith("Locked in"):
                    acknowledged.append((*quiz_key(ids[0]), user))
                if title.startswith(("Locked in", "You already answered")) or "closed" in str(response):
                    answered.add(quiz_key(ids[0]))
            await asyncio.sleep(mine.uniform(0.05, 0.4))

    await bot.start()
    players: list[asyncio.Task[None]] = []
    try:
        starter = fake.make_member(1, "student1")
        handle = await fake.invoke("ketamine quiz start", guild_id=GUILD_ID, channel_id=CHANNEL_ID, member=starter)
        assert embed((await handle.response(10))["data"])["title"] == "Quiz starting"
        players = [asyncio.create_task(member(1 + i)) for i in range(MEMBERS)]
        kills = 0
        while kills < KILLS:
            await asyncio.sleep(rnd.uniform(0.8, 2.5))
            if results():
                break
            await bot.kill()
            kills += 1
            await asyncio.sleep(rnd.uniform(0.0, 0.5))
            await bot.start()
        assert kills == KILLS, f"the quiz ended after {kills} kills (seed {seed}); make it longer"
        await fake.wait_for(lambda: bool(results()), 90, "the quiz results")
    finally:
        done.set()
        for task in players:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await bot.close()

    db = await open_database(make_settings(tmp_path, database_url=database_url))
    try:
        rows = await db.fetch_all("SELECT session_id, position, user_id FROM quiz_answers")
        stored = collections.Counter((int(r[0]), int(r[1]), int(r[2])) for r in rows)
        unrevealed = len(await db.fetch_all("SELECT position FROM quiz_questions WHERE revealed_ms IS NULL"))
        state = [(str(r[0]),) for r in await db.fetch_all("SELECT state FROM quiz_sessions")]
    finally:
        await db.close()
    missing = [a for a in acknowledged if stored[a] != 1]
    assert acknowledged and not missing, f"seed {seed}: acknowledged answers missing or doubled: {missing}"
    assert len(acknowledged) == len(set(acknowledged))
    assert unrevealed == 0 and state == [("finished",)], f"seed {seed}"
    for position in range(QUESTIONS):
        title = f"Question {position + 1}/{QUESTIONS} · the answer is"
        shown = [
            m
            for m in fake.channel_messages(CHANNEL_ID)
            if m.get("embeds") and embed(m).get("title", "").startswith(title)
        ]
        assert len(shown) == 1, f"seed {seed}: question {position + 1} revealed in {len(shown)} messages"
        posted = [
            m
            for m in fake.channel_messages(CHANNEL_ID)
            if m.get("embeds") and embed(m).get("title", "").startswith(f"Question {position + 1}/{QUESTIONS}")
        ]
        assert posted == shown, f"seed {seed}: question {position + 1} was posted in {len(posted)} messages"
    assert len(results()) == 1
    print(f"seed {seed}: {KILLS} kills, {len(acknowledged)} acknowledged answers, all stored once")
