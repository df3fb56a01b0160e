"""Privacy: export your own data, delete it after confirming, and servers' data deleted after the bot leaves."""

from __future__ import annotations

import json

from bot.services.bundle import Services
from bot.services.catalog import Caller
from tests.quizkit import FakeClock, RecordingPublisher

DAY = 86_400_000


def member(user: int, guild: int = 10, channel: int = 20) -> Caller:
    return Caller(user_id=user, display_name=f"user{user}", guild_id=guild, channel_id=channel)


async def answer_one(services: Services, caller: Caller) -> None:
    publisher = services.quiz.publisher
    assert isinstance(publisher, RecordingPublisher)
    await services.router.run(caller, "ketamine", "quiz start", {"questions": 1})
    await publisher.wait_until(lambda: any(ch == caller.channel_id and r.buttons for ch, _, r in publisher.posts))
    _, _, question = next((c, m, r) for c, m, r in reversed(publisher.posts) if c == caller.channel_id and r.buttons)
    ack = await services.router.press(caller, question.buttons[0].action)
    assert ack.title.startswith("Locked in")


async def test_export_holds_my_data_only(services: Services) -> None:
    await answer_one(services, member(1, guild=10, channel=20))
    await answer_one(services, member(1, guild=11, channel=30))
    await answer_one(services, member(2, guild=10, channel=40))
    reply = await services.router.run(Caller(user_id=1), "ketamine", "privacy export", {})  # works in DMs too
    assert reply.ephemeral and reply.attachment is not None
    data = json.loads(reply.attachment.text)
    assert data["user_id"] == 1
    assert sorted(a["guild_id"] for a in data["quiz_answers"]) == [10, 11]
    assert {n["display_name"] for n in data["display_names"]} == {"user1"}
    assert len(data["quizzes_started"]) == 2


async def test_forget_needs_confirmation_by_the_same_member(services: Services) -> None:
    await answer_one(services, member(1, guild=10, channel=20))
    await answer_one(services, member(1, guild=11, channel=30))
    await answer_one(services, member(2, guild=10, channel=40))
    ask = await services.router.run(member(1), "ketamine", "privacy forget", {})
    assert ask.ephemeral and [b.label for b in ask.buttons] == ["Delete my data", "Cancel"]
    assert (await services.quiz.uow().answers.history(10, 1)) != []

    someone_else = await services.router.press(member(2), ask.buttons[0].action)
    assert someone_else.is_error and "someone else" in someone_else.body
    cancelled = await services.router.press(member(1), ask.buttons[1].action)
    assert cancelled.title == "Nothing was deleted"
    assert (await services.quiz.uow().answers.history(10, 1)) != []

    done = await services.router.press(member(1), ask.buttons[0].action)
    assert done.title == "Your data is deleted" and "2 answers" in done.body
    assert (
        await services.quiz.uow().answers.history(10, 1) == []
        and await services.quiz.uow().answers.history(11, 1) == []
    )
    assert len(await services.quiz.uow().answers.history(10, 2)) == 1, "other members keep their data"
    started = await services.app.db.fetch_all("SELECT starter_id FROM quiz_sessions ORDER BY id")
    assert [r["starter_id"] for r in started] == [0, 0, 2], "the quizzes member 1 started no longer name them"
    export = (await services.router.run(member(1), "ketamine", "privacy export", {})).attachment
    assert export is not None
    left = json.loads(export.text)
    assert left["quiz_answers"] == left["display_names"] == left["quizzes_started"] == []
    board = await services.router.run(member(2), "ketamine", "leaderboard", {})
    assert "user1" not in board.fields[0].value


async def test_server_data_deleted_after_the_grace_period(services: Services) -> None:
    clock = services.quiz.clock
    assert isinstance(clock, FakeClock)
    await answer_one(services, member(1, guild=10, channel=20))
    await answer_one(services, member(1, guild=11, channel=30))
    await services.privacy.server_left(10)
    await clock.advance(29 * DAY)
    assert await services.privacy.purge() == []
    await clock.advance(2 * DAY)
    assert await services.privacy.purge() == [10]
    rows = await services.app.db.fetch_all("SELECT DISTINCT guild_id FROM quiz_answers")
    assert [r["guild_id"] for r in rows] == [11]
    assert await services.app.db.fetch_all("SELECT * FROM quiz_sessions WHERE guild_id = 10") == []
    assert (
        await services.app.db.fetch_all(
            "SELECT * FROM quiz_questions q JOIN quiz_sessions s ON s.id = q.session_id WHERE s.guild_id = 10"
        )
        == []
    )


async def test_coming_back_cancels_deletion_and_start_up_reconciles(services: Services) -> None:
    clock = services.quiz.clock
    assert isinstance(clock, FakeClock)
    await answer_one(services, member(1, guild=10, channel=20))
    await answer_one(services, member(1, guild=11, channel=30))
    await services.privacy.reconcile([11])  # removed from server 10 while the bot was down
    await services.privacy.server_left(11)
    await services.privacy.server_back(11)  # ... and re-invited to 11
    await clock.advance(31 * DAY)
    assert await services.privacy.purge() == [10]


async def test_review_cards_logs_and_sessions_are_exported_and_forgotten(services: Services) -> None:
    async def practise_one(caller: Caller) -> None:
        offer = await services.router.run(caller, "ketamine", "review", {})
        card = await services.router.press(caller, offer.buttons[0].action)  # Practise new questions
        answered = await services.router.press(caller, card.buttons[0].action)  # choice A
        rated = await services.router.press(caller, answered.buttons[2].action)  # Good
        assert rated.title == "Practice 2/20", rated.title

    await practise_one(member(1))
    await practise_one(member(2))
    export = (await services.router.run(Caller(user_id=1), "ketamine", "privacy export", {})).attachment
    assert export is not None
    data = json.loads(export.text)
    assert [c["question_id"] for c in data["review_cards"]] == ["ov-01"]
    assert [(r["source"], r["rating"]) for r in data["review_logs"]] == [("practice", 3)]
    assert len(data["review_session_cards"]) == 20 and data["review_session_cards"][0]["choice"] == 0
    ask = await services.router.run(member(1), "ketamine", "privacy forget", {})
    assert "review cards" in str(ask.body)
    await services.router.press(member(1), ask.buttons[0].action)
    left = (await services.router.run(member(1), "ketamine", "privacy export", {})).attachment
    assert left is not None
    gone = json.loads(left.text)
    assert gone["review_cards"] == gone["review_logs"] == gone["review_session_cards"] == []
    for table in ("review_cards", "review_logs", "review_sessions"):
        rows = await services.app.db.fetch_all(f"SELECT DISTINCT user_id FROM {table}")
        assert [r["user_id"] for r in rows] == [2], f"{table}: member 2 keeps theirs"
