"""Question of the day with an injected clock: on time in the server's zone, once per day whatever restarts
happen, a missed post made once at start-up within its window, rotation without repeats, scores counted."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.services.bundle import Services
from bot.services.catalog import Caller
from bot.services.daily import todays_slot
from tests import servicekit
from tests.helpers import make_settings
from tests.quizkit import FakeClock, RecordingPublisher

GUILD, STUDY, SECOND = 10, 21, 22
ADMIN = Caller(user_id=1, display_name="admin", guild_id=GUILD, channel_id=STUDY, can_manage_guild=True)
HOUR = 3_600_000
DAY = 24 * HOUR


def utc_ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


async def open_services(
    tmp_path: Path, database_url: str | None, clock: FakeClock
) -> tuple[Services, RecordingPublisher]:
    publisher = RecordingPublisher()
    services = await servicekit.open_services(make_settings(tmp_path, database_url=database_url), clock, publisher)
    await services.quiz.runner.resume_all()
    return services, publisher


async def close(services: Services) -> None:
    await servicekit.close_services(services)


async def configure(services: Services, channel: int, topic: str | None = None) -> None:
    router = services.router
    for key, value in (("timezone", "Europe/Berlin"), ("daily_time", "09:00"), ("daily_window_hours", "12")):
        reply = await router.run(ADMIN, "ketamine-admin", "settings set", {"setting": key, "value": value})
        assert not reply.is_error, reply.body
    options: dict[str, object] = {"channel": channel, "daily": "on"}
    if topic:
        options["topic"] = topic
    reply = await router.run(ADMIN, "ketamine-admin", "studygroup add", options)
    assert not reply.is_error, reply.body


def daily_posts(publisher: RecordingPublisher, channel: int = STUDY) -> list[int]:
    return [m for ch, m, r in publisher.posts if ch == channel and r.title == "Question of the day"]


def test_slot_is_local_time() -> None:
    day, slot = todays_slot(utc_ms("2026-11-24T07:00:00"), "Europe/Berlin", "09:00")
    assert day == "2026-11-24" and slot == utc_ms("2026-11-24T08:00:00")  # CET is UTC+1 in November
    day, slot = todays_slot(utc_ms("2026-07-01T12:00:00"), "Europe/Berlin", "09:00")
    assert slot == utc_ms("2026-07-01T07:00:00")  # CEST is UTC+2 in July


async def test_posted_on_time_once_and_not_again_after_a_restart(tmp_path: Path, database_url: str | None) -> None:
    clock = FakeClock(utc_ms("2026-11-24T07:59:00"))
    services, publisher = await open_services(tmp_path, database_url, clock)
    await configure(services, STUDY)
    assert await services.daily.tick() == 0
    await clock.advance(60_000)  # 08:00 UTC = 09:00 in Berlin
    assert await services.daily.tick() == 1
    await publisher.wait_until(lambda: len(daily_posts(publisher)) == 1)
    assert await services.daily.tick() == 0
    await close(services)

    services, publisher = await open_services(tmp_path, database_url, clock)  # restarted an hour later
    await clock.advance(HOUR)
    assert await services.daily.tick() == 0
    assert daily_posts(publisher) == []
    await close(services)


async def test_missed_post_is_made_once_at_start_up_within_its_window(tmp_path: Path, database_url: str | None) -> None:
    clock = FakeClock(utc_ms("2026-11-24T06:00:00"))
    services, _ = await open_services(tmp_path, database_url, clock)
    await configure(services, STUDY)
    await close(services)  # the bot goes down before 09:00 Berlin time

    clock = FakeClock(utc_ms("2026-11-24T11:30:00"))  # back at 12:30 Berlin: within the 12 h window
    services, publisher = await open_services(tmp_path, database_url, clock)
    assert await services.daily.tick() == 1
    await publisher.wait_until(lambda: len(daily_posts(publisher)) == 1)
    (session,) = await services.quiz.uow().quizzes.running()
    assert session.closes_ms == utc_ms("2026-11-24T20:00:00"), "it still closes when the window ends"
    await close(services)

    clock = FakeClock(utc_ms("2026-11-25T21:00:00"))  # next day, after that day's window
    services, publisher = await open_services(tmp_path, database_url, clock)
    await services.daily.tick()
    assert daily_posts(publisher) == []
    await close(services)


async def test_rotation_answers_and_leaderboard(tmp_path: Path, database_url: str | None) -> None:
    clock = FakeClock(utc_ms("2026-11-24T08:00:00"))
    services, publisher = await open_services(tmp_path, database_url, clock)
    try:
        await configure(services, STUDY, topic="overview")
        pool = [q.id for q in services.app.library.modules["ketamine"].questions if q.topic == "overview"]
        seen: list[str] = []
        for day in range(len(pool) + 1):
            assert await services.daily.tick() == 1, f"day {day}"
            await publisher.wait_until(lambda d=day: len(daily_posts(publisher)) == d + 1)
            message_id, question = publisher.last_question()
            if day == 0:
                member = Caller(user_id=7, display_name="early bird", guild_id=GUILD, channel_id=STUDY)
                ack = await services.router.press(member, question.buttons[0].action)
                assert ack.title.startswith("Locked in")
            sessions = await services.quiz.uow().quizzes.running()
            asked = await services.quiz.uow().quizzes.asked_questions(sessions[-1].id)
            seen.append(asked[0].question_id)
            await clock.advance(12 * HOUR)  # the window closes: revealed
            await publisher.wait_until(lambda m=message_id: any(mid == m for _, mid, _ in publisher.edits))
            await clock.advance(12 * HOUR)
        assert sorted(seen[: len(pool)]) == sorted(pool), "no repeat until the pool is used up"
        reveal = next(r for _, _, r in publisher.edits)
        assert reveal.title.startswith("Question of the day · the answer is")
        board = await services.router.run(
            Caller(user_id=7, guild_id=GUILD, channel_id=STUDY), "ketamine", "leaderboard", {}
        )
        assert "early bird" in board.fields[0].value
    finally:
        await close(services)
