"""Gateway drops (resume and full re-identify) and REST 429/500 answers in the middle of a quiz."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.discord_app.bot import StudyBot
from tests.botkit import CHANNEL_ID, GUILD_ID
from tests.botkit.inprocess import running_bot
from tests.e2e.quizsteps import answer_ids, embed, past_deadline, questions, quiz_settings, start, wait_titles
from tests.fakediscord import FakeDiscord
from tests.quizkit import FakeClock


@pytest.fixture
def fake(fake_discord: FakeDiscord) -> FakeDiscord:
    fake_discord.add_guild(GUILD_ID, channels=[CHANNEL_ID])
    return fake_discord


class QuickReidentifyBot(StudyBot):
    """discord.py waits 5 s before re-identifying after an invalid session; tests need not."""

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None


async def answer_all(fake: FakeDiscord, message: dict[str, Any], users: range, acked: set[tuple[str, int]]) -> None:
    for user in users:
        handle = await fake.click(message, answer_ids(message)[user % 2], member=fake.make_member(user, f"m{user}"))
        title = embed((await handle.response(5))["data"])["title"]
        assert title.startswith("Locked in"), title
        acked.add((message["id"], user))


def stored_answers(bot: StudyBot) -> Any:
    assert bot.quiz is not None
    return bot.quiz.uow().answers


@pytest.mark.parametrize("resume", [True, False], ids=["resume", "reidentify"])
async def test_quiz_goes_on_through_gateway_drops_and_rest_errors(
    fake: FakeDiscord, tmp_path: Path, resume: bool, database_url: str | None
) -> None:
    acked: set[tuple[str, int]] = set()
    clock = FakeClock()  # the first question's deadline passes when the test moves it, after the drop
    settings = quiz_settings(tmp_path, reveal=0, database_url=database_url).model_copy(update={"quiz_questions": 3})
    async with running_bot(fake, settings, clock=clock, bot_class=QuickReidentifyBot) as bot:
        await start(fake, questions=3)
        await fake.wait_for(lambda: len(questions(fake)) == 1, 10, "first question")
        first = questions(fake)[0]
        await answer_all(fake, first, range(1, 4), acked)

        identified, resumed = fake.identify_count, fake.resume_count
        await fake.drop_gateway(resume=resume)
        await fake.wait_for(
            lambda: fake.resume_count > resumed if resume else fake.identify_count > identified, 15, "reconnect"
        )
        fake.fail_next("POST /channels", 500)  # the next question's post fails once; discord.py retries
        fake.fail_next("/callback", 429, count=2, retry_after=0.05)  # two answers are rate limited once each

        await past_deadline(
            fake, clock, lambda: len(questions(fake)) == 1 and questions(fake)[0]["id"] != first["id"], "question 2"
        )  # its post fails once and discord.py retries a second later: the clock stands still meanwhile
        second = questions(fake)[0]
        await answer_all(fake, second, range(1, 4), acked)
        await fake.wait_for(
            lambda: len(questions(fake)) == 1 and questions(fake)[0]["id"] != second["id"], 20, "question 3"
        )
        third = questions(fake)[0]
        await answer_all(fake, third, range(1, 4), acked)
        await wait_titles(fake, "Quiz over · results", timeout=20)

        repo = stored_answers(bot)
        sessions = await bot.app.db.fetch_all("SELECT id FROM quiz_sessions")
        stored = await repo.answers(int(sessions[0]["id"]))
        assert len(stored) == len(acked) == 9, "nothing lost, nothing doubled"
    assert len(fake.injected) == 3, fake.injected
    question_posts = [
        m for m in fake.channel_messages(CHANNEL_ID) if m.get("embeds") and embed(m)["title"].startswith("Question ")
    ]
    assert len(question_posts) == 3, "each question was posted once"
    assert [e for e in fake.errors if e.status != 429 and e.status < 500] == []
