"""Study-group channels: who may change them, where quizzes may run, default topics, channel leaderboards."""

from __future__ import annotations

import pytest

from bot.discord_app.markup import markup
from bot.services.bundle import Services
from bot.services.catalog import Caller
from tests.quizkit import FakeClock, RecordingPublisher

GUILD = 10
STUDY, OTHER, FOREIGN = 21, 22, 99_001


def admin(channel: int = STUDY) -> Caller:
    return Caller(user_id=1, display_name="admin", guild_id=GUILD, channel_id=channel, can_manage_guild=True)


def member(user: int = 2, channel: int = STUDY) -> Caller:
    return Caller(user_id=user, display_name=f"user{user}", guild_id=GUILD, channel_id=channel)


@pytest.fixture(autouse=True)
def foreign_channel(services: Services) -> None:
    publisher = services.quiz.publisher
    assert isinstance(publisher, RecordingPublisher)
    publisher.channel_guilds[FOREIGN] = 555  # a channel of another server


async def test_only_manage_server_changes_study_groups(services: Services) -> None:
    router = services.router
    refused = await router.run(member(), "ketamine-admin", "studygroup add", {"channel": STUDY})
    assert refused.is_error and "Manage Server" in refused.body
    refused = await router.run(member(), "ketamine-admin", "studygroup remove", {"channel": STUDY})
    assert refused.is_error and "Manage Server" in refused.body
    assert await services.study.repo.of_guild(GUILD) == []


async def test_channel_of_another_server_is_refused(services: Services) -> None:
    reply = await services.router.run(admin(), "ketamine-admin", "studygroup add", {"channel": FOREIGN})
    assert reply.is_error and "not a channel of this server" in reply.body
    assert await services.study.repo.get(FOREIGN) is None


async def test_add_list_remove_and_quiz_placement(services: Services) -> None:
    router = services.router
    added = await router.run(
        admin(), "ketamine-admin", "studygroup add", {"channel": f"<#{STUDY}>", "topic": "risks", "daily": "on"}
    )
    assert added.title == "Study group saved"
    listed = await router.run(member(), "ketamine", "studygroup list", {})
    listed_text = markup(listed.body)  # as Discord receives it: the channel as Discord's channel link
    assert f"<#{STUDY}>" in listed_text and "Risks" in listed_text and "question of the day: on" in listed_text

    elsewhere = await router.run(member(channel=OTHER), "ketamine", "quiz start", {})
    assert elsewhere.is_error and f"<#{STUDY}>" in markup(elsewhere.body)

    here = await router.run(member(), "ketamine", "quiz start", {"questions": 3})
    assert not here.is_error
    (session,) = await services.quiz.uow().quizzes.running()
    bank = {q.id: q for q in services.app.library.modules["ketamine"].questions}
    asked = await services.quiz.uow().quizzes.asked_questions(session.id)
    assert session.topic == "risks" and {bank[q.question_id].topic for q in asked} == {"risks"}

    removed = await router.run(admin(), "ketamine-admin", "studygroup remove", {"channel": STUDY})
    assert removed.title == "Study group removed"
    again = await router.run(admin(), "ketamine-admin", "studygroup remove", {"channel": STUDY})
    assert again.is_error and "not a study-group channel" in markup(again.body)
    anywhere = await router.run(member(channel=OTHER), "ketamine", "quiz start", {})
    assert not anywhere.is_error


async def test_channel_leaderboard_counts_only_that_channel(services: Services) -> None:
    router = services.router
    clock = services.quiz.clock
    publisher = services.quiz.publisher
    assert isinstance(clock, FakeClock) and isinstance(publisher, RecordingPublisher)
    for channel, user in ((STUDY, 2), (OTHER, 3)):
        await router.run(member(user, channel), "ketamine", "quiz start", {"questions": 1})
        await publisher.wait_until(lambda c=channel: any(ch == c for ch, _, r in publisher.posts if r.buttons))
        _, _, question = next((ch, m, r) for ch, m, r in reversed(publisher.posts) if ch == channel and r.buttons)
        await router.press(member(user, channel), question.buttons[0].action)
    here = await router.run(member(2, STUDY), "ketamine", "leaderboard", {"scope": "channel"})
    server = await router.run(member(2, STUDY), "ketamine", "leaderboard", {})
    assert here.fields[0].value.count("pts ·") == 1 and "user2" in here.fields[0].value
    assert server.fields[0].value.count("pts ·") == 2
    assert [f.name for f in here.fields] == ["All time, this channel", "This week, this channel"]
    assert [f.name for f in server.fields] == ["All time", "This week"]
