"""Per-server settings: shown to all, changed only with Manage Server (checked in code), validated, audited."""

from __future__ import annotations

import pytest

from bot.core.errors import InvalidInput
from bot.core.server_settings import ServerSettings, decode, parse_setting
from bot.services.bundle import Services
from bot.services.catalog import Caller

ADMIN = Caller(user_id=1, display_name="admin", guild_id=10, channel_id=20, can_manage_guild=True)
MEMBER = Caller(user_id=2, display_name="member", guild_id=10, channel_id=20)
TOPICS = ["overview", "mechanism", "risks"]


@pytest.mark.parametrize(
    ("key", "text", "expected"),
    [
        ("questions", "25", 25),
        ("seconds", " 45 ", 45),
        ("speed_bonus", "OFF", False),
        ("topics", "mechanism, risks", ("mechanism", "risks")),
        ("topics", "all", ()),
        ("daily_time", "7:05", "07:05"),
        ("timezone", "Europe/Berlin", "Europe/Berlin"),
        ("daily_window_hours", "12", 12),
    ],
)
def test_parse_good_values(key: str, text: str, expected: object) -> None:
    assert parse_setting(key, text, TOPICS) == expected


@pytest.mark.parametrize(
    ("key", "text", "message"),
    [
        ("questions", "0", "from 1 to 50"),
        ("questions", "ten", "whole number from 1 to 50"),
        ("seconds", "4", "from 5 to 120"),
        ("points", "100000", "from 10 to 1000"),
        ("speed_bonus", "maybe", "`on` or `off`"),
        ("topics", "astrology", "Unknown topic `astrology`"),
        ("daily_time", "25:00", "HH:MM"),
        ("timezone", "Mars/Olympus", "IANA time zone"),
        ("timezone", "../../etc/passwd", "IANA time zone"),
        ("nope", "1", "There is no setting"),
    ],
)
def test_bad_values_say_what_is_allowed(key: str, text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_setting(key, text, TOPICS)


def test_stored_values_that_no_longer_parse_fall_back() -> None:
    settings = decode({"topics": "gone-topic", "questions": "7"}, ServerSettings(), TOPICS)
    assert settings.topics == () and settings.questions == 7


async def test_show_set_and_history(services: Services) -> None:
    router = services.router
    shown = await router.run(MEMBER, "ketamine", "settings show", {})
    assert shown.title == "Server settings" and "**20**" in [f.value for f in shown.fields][1]
    refused = await router.run(MEMBER, "ketamine", "settings set", {"setting": "questions", "value": "5"})
    assert refused.is_error and "Manage Server" in refused.body
    bad = await router.run(ADMIN, "ketamine", "settings set", {"setting": "seconds", "value": "999"})
    assert bad.is_error and "from 5 to 120" in bad.body
    done = await router.run(ADMIN, "ketamine", "settings set", {"setting": "questions", "value": "5"})
    assert done.title == "Setting changed" and "default → **5**" in done.body
    await router.run(ADMIN, "ketamine", "settings set", {"setting": "questions", "value": "6"})
    history = await router.run(MEMBER, "ketamine", "settings history", {})
    lines = history.body.splitlines()
    assert len(lines) == 2 and "**questions**: 5 → 6" in lines[0] and "default → 5" in lines[1]
    other_server = await router.run(Caller(user_id=1, guild_id=99, channel_id=5), "ketamine", "settings history", {})
    assert other_server.body == "No setting has been changed yet."


async def test_quiz_uses_the_server_settings(services: Services) -> None:
    router = services.router
    for key, value in (("questions", "4"), ("topics", "risks"), ("points", "50"), ("speed_bonus", "off")):
        await router.run(ADMIN, "ketamine", "settings set", {"setting": key, "value": value})
    started = await router.run(MEMBER, "ketamine", "quiz start", {})
    assert "4 questions" in started.body and "score 50 points." in started.body
    (session,) = await services.quiz.repo.running()
    asked = await services.quiz.repo.asked_questions(session.id)
    bank = {q.id: q for q in services.app.library.modules["ketamine"].questions}
    assert {bank[q.question_id].topic for q in asked} == {"risks"}
    assert session.points == 50 and not session.speed_bonus
