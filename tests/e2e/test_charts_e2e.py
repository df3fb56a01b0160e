"""The stats chart through the fake Discord, with the bot as a real process (``python -m bot run``): a started bot
has not loaded matplotlib; ``/ketamine stats`` sends the chart as a file that the embed's image shows."""

from __future__ import annotations

from pathlib import Path

from bot.core.quiz.progress import CHART_FILENAME
from tests.botkit import CHANNEL_ID, GUILD_ID
from tests.botkit.process import BotProcess
from tests.e2e.quizsteps import answer_ids, click, embed, questions, start
from tests.fakediscord import FakeDiscord

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def loaded_from_matplotlib(pid: int) -> list[str]:
    """The files of matplotlib (its compiled modules) mapped into the process: how another process can tell that
    it imported matplotlib."""
    maps = Path(f"/proc/{pid}/maps").read_text().splitlines()
    return sorted({line.split()[-1] for line in maps if "/matplotlib/" in line})


async def test_a_started_bot_loads_matplotlib_only_for_a_chart_which_discord_shows_in_the_embed(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    fake = fake_discord
    fake.add_guild(GUILD_ID, channels=[CHANNEL_ID])
    bot = BotProcess(fake, tmp_path, QUIZ_SECONDS="30")
    await bot.start()
    try:
        member = fake.make_member(5, "member5")
        nobody = await fake.invoke("ketamine stats", guild_id=GUILD_ID, channel_id=CHANNEL_ID, member=member)
        assert "No quiz answers" in embed((await nobody.response(5))["data"])["description"]
        assert nobody.message is not None and nobody.message["attachments"] == []
        assert loaded_from_matplotlib(bot.pid) == [], "started, synced, answered: matplotlib not loaded"

        await start(fake, user=5, questions=1)
        await fake.wait_for(lambda: len(questions(fake)) == 1, 10, "the question")
        question = questions(fake)[0]
        await click(fake, question, answer_ids(question)[0], user=5)
        handle = await fake.invoke("ketamine stats", guild_id=GUILD_ID, channel_id=CHANNEL_ID, member=member)
        response = await handle.response(5)
        sent = embed(response["data"])
        assert sent["title"] == "Stats · member5"
        assert sent["image"]["url"] == f"attachment://{CHART_FILENAME}", "the embed shows the file sent with it"
        message = handle.message
        assert message is not None
        (attachment,) = message["attachments"]
        assert attachment["filename"] == CHART_FILENAME
        assert fake.attachments[int(attachment["id"])][:8] == PNG_SIGNATURE
        assert embed(message)["image"]["url"] == attachment["url"], "Discord resolved the image to the file"
        assert loaded_from_matplotlib(bot.pid), "the chart loaded matplotlib (so the check above can see it)"
    finally:
        await bot.close()
    assert "Traceback" not in bot.output
    assert fake.errors == []
