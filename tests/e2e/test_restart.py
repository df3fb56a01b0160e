"""Kill the bot process with SIGKILL mid-quiz and start it again: nothing acknowledged is lost."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.botkit import CHANNEL_ID, GUILD_ID
from tests.botkit.process import BotProcess
from tests.e2e.quizsteps import answer_ids, embed, questions, wait_titles
from tests.fakediscord import FakeDiscord

EPHEMERAL = 64


async def test_quiz_survives_sigkill(fake_discord: FakeDiscord, tmp_path: Path, database_url: str | None) -> None:
    fake = fake_discord
    fake.add_guild(GUILD_ID, channels=[CHANNEL_ID])
    engine = {"DATABASE_URL": database_url} if database_url else {}
    bot = BotProcess(fake, tmp_path, QUIZ_SECONDS="6", QUIZ_QUESTIONS="2", QUIZ_REVEAL_SECONDS="0.3", **engine)
    acknowledged: dict[tuple[str, int], str] = {}

    async def answer(message: dict[str, Any], user: int, index: int) -> None:
        custom_id = answer_ids(message)[index]
        handle = await fake.click(message, custom_id, member=fake.make_member(user, f"student{user}"))
        response = await handle.response(5)
        title = embed(response["data"])["title"]
        assert response["data"]["flags"] & EPHEMERAL and title.startswith("Locked in"), title
        acknowledged[(message["id"], user)] = title

    await bot.start()
    try:
        starter = fake.make_member(1, "student1")
        started = await (
            await fake.invoke("ketamine quiz start", guild_id=GUILD_ID, channel_id=CHANNEL_ID, member=starter)
        ).response(10)
        assert embed(started["data"])["title"] == "Quiz starting"
        await fake.wait_for(lambda: len(questions(fake)) == 1, 15, "first question")
        first = questions(fake)[0]
        for user, index in ((1, 0), (2, 1), (3, 0)):
            await answer(first, user, index)

        await bot.kill()
        await bot.start()

        await answer(first, 4, 1)  # the same buttons still work after the restart
        await wait_titles(fake, "the answer is", timeout=20)
        revealed = fake.messages[int(first["id"])]
        assert (
            sum(
                int(line.rsplit("· ", 1)[1])
                for line in embed(revealed)["description"].splitlines()
                if "**" in line and ")" in line and "· " in line
            )
            == 4
        )

        await fake.wait_for(
            lambda: len(questions(fake)) == 1 and questions(fake)[0]["id"] != first["id"], 20, "second question"
        )
        second = questions(fake)[0]
        for user in (1, 2, 3, 4):
            await answer(second, user, 0)
        results = await wait_titles(fake, "Quiz over · results", timeout=20)
        lines = embed(results[0])["description"].splitlines()
        assert len(lines) == 4, lines
        answered = sum(int(line.split(" right")[0].rsplit("/", 1)[1]) for line in lines)
        assert answered == len(acknowledged) == 8

        board = await (
            await fake.invoke("ketamine leaderboard", guild_id=GUILD_ID, channel_id=CHANNEL_ID, member=starter)
        ).response(10)
        all_time = embed(board["data"])["fields"][0]["value"].splitlines()
        assert sum(int(line.rsplit("/", 1)[1]) for line in all_time if line[0].isdigit()) == 8
    finally:
        await bot.close()
    assert "resumed 1 running quiz" in bot.output
    assert "Traceback" not in bot.output
    assert fake.errors == []
