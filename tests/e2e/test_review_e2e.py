"""A review through the fake Discord, with the bot process SIGKILLed twice mid-review: after each restart the
buttons of the same ephemeral message keep working, and every pick and rating given before the kill is there."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bot.core.content.library import ContentLibrary
from bot.core.review.scheduling import ReviewCard
from bot.storage.connect import open_database
from bot.storage.engine import Database
from tests.botkit import CHANNEL_ID, GUILD_ID
from tests.botkit.process import STUDY_BOT, BotProcess
from tests.e2e.quizsteps import embed
from tests.fakediscord import FakeDiscord
from tests.helpers import CONTENT, make_settings

EPHEMERAL = 64
MEMBER = 5
DUE = ("ov-01", "mech-01", "risk-01")
MODULE = ContentLibrary.load(CONTENT).modules["ketamine"]


async def seed_due_cards(db: Database, now_ms: int) -> None:
    """Three cards rated long ago and due since (an hour apart): the review starts from a deck, not from practice."""
    async with db.transaction() as conn:
        for hours, question in enumerate(DUE, start=1):
            card = ReviewCard.new(MEMBER, "ketamine", question, now_ms - 30 * 86_400_000)
            await conn.execute(
                "INSERT INTO review_cards (user_id, module, question_id, state, step, stability, difficulty, due_ms, "
                "last_review_ms, reps, lapses) VALUES (?, ?, ?, 2, NULL, 3.0, 5.0, ?, ?, 1, 0)",
                (card.user_id, card.module, card.question_id, now_ms - (4 - hours) * 3_600_000, card.due_ms),
            )


def right_letter(question_id: str) -> str:
    question = MODULE.question(question_id)
    assert question is not None
    return "ABCDE"[question.answer]


def buttons(message: dict[str, Any]) -> dict[str, str]:
    """The message's buttons by label ("Good · 8 d" as "Good"), each with its custom_id."""
    found = [c for row in message.get("components", []) for c in row.get("components", [])]
    return {c["label"].split(" · ")[0]: c["custom_id"] for c in found}


async def test_a_review_goes_on_across_sigkills(
    fake_discord: FakeDiscord, tmp_path: Path, database_url: str | None
) -> None:
    fake = fake_discord
    fake.add_guild(GUILD_ID, channels=[CHANNEL_ID])
    settings = make_settings(tmp_path, database_url=database_url)
    db = await open_database(settings)
    try:
        await seed_due_cards(db, int(time.time() * 1000))
    finally:
        await db.close()
    engine = {"DATABASE_URL": database_url} if database_url else {}
    bot = BotProcess(fake, tmp_path, STUDY_BOT, **engine)
    member = fake.make_member(MEMBER, "student5")

    async def click(message: dict[str, Any], label: str) -> str:
        handle = await fake.click(message, buttons(message)[label], member=member)
        response = await handle.response(5)
        assert response["type"] == 7, "the card is updated in place (the message only its member sees)"
        title: str = embed(response["data"])["title"]
        return title

    await bot.start()
    try:
        handle = await fake.invoke("ketamine review", guild_id=GUILD_ID, channel_id=CHANNEL_ID, member=member)
        started = await handle.response(10)
        assert started["data"]["flags"] & EPHEMERAL and embed(started["data"])["title"] == "Review 1/3"
        message = handle.message
        assert message is not None
        assert "3 cards" in str(embed(message)["fields"])
        assert "Ketamine belongs to which chemical family" in embed(message)["description"], "the oldest due first"
        assert await click(message, right_letter("ov-01")) == "Review 1/3 · right"

        await bot.kill()  # picked, not rated yet
        await bot.start()
        assert set(buttons(message)) == {"Again", "Hard", "Good", "Easy", "Read more", "Report a problem"}
        assert await click(message, "Good") == "Review 2/3"  # the same message's button, after the restart
        assert await click(message, right_letter("mech-01")) == "Review 2/3 · right"
        assert await click(message, "Hard") == "Review 3/3"

        await bot.kill()  # rated, the next card shown
        await bot.start()
        assert (await click(message, "B")).startswith("Review 3/3 ·")
        more = await fake.click(message, buttons(message)["Read more"], member=member)
        page = await more.response(5)
        assert page["type"] == 4 and page["data"]["flags"] & EPHEMERAL, "Read more comes beside the card"
        assert embed(message)["title"].startswith("Review 3/3 ·"), "the card stays as it was"
        assert await click(message, "Easy") == "Review finished"
        assert "Again 0, Hard 1, Good 1, Easy 1" in embed(message)["description"]
    finally:
        await bot.close()
    assert "Traceback" not in bot.output
    assert fake.errors == []

    db = await open_database(settings)
    try:
        logs = await db.fetch_all(
            "SELECT question_id, source, rating FROM review_logs WHERE user_id = ? ORDER BY id", (MEMBER,)
        )
        cards = await db.fetch_all("SELECT question_id, reps FROM review_cards WHERE user_id = ?", (MEMBER,))
        sessions = await db.fetch_all("SELECT position, ended_ms FROM review_sessions WHERE user_id = ?", (MEMBER,))
    finally:
        await db.close()
    assert [(r["question_id"], r["source"], r["rating"]) for r in logs] == [
        ("ov-01", "review", 3),
        ("mech-01", "review", 2),
        ("risk-01", "review", 4),
    ], "each rating stored once, across both kills"
    assert sorted((r["question_id"], r["reps"]) for r in cards) == [("mech-01", 2), ("ov-01", 2), ("risk-01", 2)]
    assert len(sessions) == 1 and sessions[0]["position"] == 3 and sessions[0]["ended_ms"] is not None
