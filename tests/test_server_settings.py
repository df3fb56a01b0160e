"""Per-server settings: shown to all, changed only with Manage Server (checked in code), validated, audited."""

from __future__ import annotations

import pytest

from bot.core.actions import decode as decode_action
from bot.core.errors import InvalidInput, NotFound
from bot.core.server_settings import SPECS, ServerSettings, decode, parse_setting
from bot.discord_app.markup import markup
from bot.services.bundle import Services
from bot.services.catalog import Caller
from tests.quizkit import FakeClock

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
    assert shown.title == "Server settings" and "**20**" in [markup(f.value) for f in shown.fields][1]
    refused = await router.run(MEMBER, "ketamine-admin", "settings set", {"setting": "questions", "value": "5"})
    assert refused.is_error and "Manage Server" in refused.body
    bad = await router.run(ADMIN, "ketamine-admin", "settings set", {"setting": "seconds", "value": "999"})
    assert bad.is_error and "from 5 to 120" in bad.body
    done = await router.run(ADMIN, "ketamine-admin", "settings set", {"setting": "questions", "value": "5"})
    assert done.title == "Setting changed" and done.body == "**Questions per quiz**: default → **5**"
    await router.run(ADMIN, "ketamine-admin", "settings set", {"setting": "questions", "value": "6"})
    history = await router.run(MEMBER, "ketamine", "settings history", {})
    lines = markup(history.body).splitlines()
    assert len(lines) == 2 and lines[0].endswith("**Questions per quiz**: 5 → **6**")
    assert lines[1].endswith("**Questions per quiz**: default → **5**")
    assert history.buttons == [] and history.footer.endswith("2 changes")
    other_server = await router.run(Caller(user_id=1, guild_id=99, channel_id=5), "ketamine", "settings history", {})
    assert other_server.body == "No setting has been changed yet."


async def test_history_names_settings_by_label_not_key(services: Services) -> None:
    router = services.router
    for key, value in (("speed_bonus", "off"), ("daily_window_hours", "6"), ("timezone", "Europe/Berlin")):
        await router.run(ADMIN, "ketamine-admin", "settings set", {"setting": key, "value": value})
    body = markup((await router.run(MEMBER, "ketamine", "settings history", {})).body)
    assert "**Time zone**: default → **Europe/Berlin**" in body
    assert "**Question of the day open for (hours)**: default → **6**" in body
    assert "**Speed bonus**: default → **off**" in body
    assert not any(f"**{key}**" in body for key in SPECS)


async def test_all_topics_is_never_a_blank(services: Services) -> None:
    router = services.router
    await router.run(ADMIN, "ketamine-admin", "settings set", {"setting": "topics", "value": "risks"})
    to_all = await router.run(ADMIN, "ketamine-admin", "settings set", {"setting": "topics", "value": "all"})
    assert to_all.body == "**Topics in the quiz pool**: risks → **all topics**"
    back = await router.run(ADMIN, "ketamine-admin", "settings set", {"setting": "topics", "value": "mechanism"})
    assert back.body == "**Topics in the quiz pool**: all topics → **mechanism**"
    lines = markup((await router.run(MEMBER, "ketamine", "settings history", {})).body).splitlines()
    assert [line.split(" · ")[-1] for line in lines] == [
        "**Topics in the quiz pool**: all topics → **mechanism**",
        "**Topics in the quiz pool**: risks → **all topics**",
        "**Topics in the quiz pool**: default → **risks**",
    ]
    assert all("****" not in line and ":  →" not in line for line in lines), "no value is ever empty"


async def test_history_dates_carry_the_time(services: Services) -> None:
    now_s = services.quiz.clock.now_ms() // 1000
    await services.router.run(ADMIN, "ketamine-admin", "settings set", {"setting": "points", "value": "50"})
    line = markup((await services.router.run(MEMBER, "ketamine", "settings history", {})).body)
    assert line.startswith(f"<t:{now_s}:F> · <@{ADMIN.user_id}> · ")  # Discord's full date and time style


async def test_setting_the_current_value_says_unchanged_and_records_nothing(services: Services) -> None:
    router = services.router
    first = await router.run(ADMIN, "ketamine-admin", "settings set", {"setting": "seconds", "value": "30"})
    again = await router.run(ADMIN, "ketamine-admin", "settings set", {"setting": "seconds", "value": " 30 "})
    assert first.title == "Setting changed" and again.title == "Setting unchanged" and not again.is_error
    assert again.body == "**Seconds per question** is already **30**; nothing was changed or recorded."
    default = str(services.server_settings.defaults.questions)
    as_default = await router.run(ADMIN, "ketamine-admin", "settings set", {"setting": "questions", "value": default})
    assert as_default.title == "Setting unchanged"
    await router.run(ADMIN, "ketamine-admin", "settings set", {"setting": "topics", "value": "risks,mechanism"})
    same_pool = await router.run(
        ADMIN, "ketamine-admin", "settings set", {"setting": "topics", "value": "risks, mechanism"}
    )
    assert same_pool.title == "Setting unchanged"
    assert await services.server_settings.repo.history_size(10) == 2
    assert await services.server_settings.repo.values(10) == {"seconds": "30", "topics": "risks,mechanism"}


async def test_history_pages_instead_of_cutting_at_fifteen(services: Services) -> None:
    router, clock = services.router, services.quiz.clock
    assert isinstance(clock, FakeClock)
    for n in range(23):
        await router.run(ADMIN, "ketamine-admin", "settings set", {"setting": "questions", "value": str(20 + n)})
        await clock.advance(60_000)
    first = await router.run(MEMBER, "ketamine", "settings history", {})
    lines = markup(first.body).splitlines()
    assert len(lines) == 10 and lines[0].endswith("41 → **42**")
    assert first.footer.endswith("23 changes · page 1/3") and first.ephemeral
    newer, older = first.buttons
    assert newer.disabled and not older.disabled and older.action == "sh:ketamine:1"
    second = await router.press(MEMBER, older.action)
    assert markup(second.body).splitlines()[0].endswith("31 → **32**") and "page 2/3" in second.footer
    third = await router.press(MEMBER, second.buttons[1].action)
    seen = [markup(r.body).splitlines() for r in (first, second, third)]
    assert [len(page) for page in seen] == [10, 10, 3] and third.buttons[1].disabled
    assert seen[2][-1].endswith("default → **20**")
    assert len({line for page in seen for line in page}) == 23, "every change on exactly one page"
    back = await router.press(MEMBER, third.buttons[0].action)
    assert back.body == second.body

    gone = await router.press(MEMBER, "sh:ketamine:3")
    assert gone.is_error and "no longer exists" in gone.body and "3 pages" in gone.body
    elsewhere = Caller(user_id=3, guild_id=99, channel_id=5)
    assert (await router.press(elsewhere, "sh:ketamine:1")).is_error, "a copied button shows only your server's"
    assert (await router.press(elsewhere, "sh:ketamine:0")).body == "No setting has been changed yet."
    assert (await router.press(Caller(user_id=3), "sh:ketamine:0")).is_error, "no server, no settings"
    assert (await router.press(MEMBER, "sh:nope:0")).is_error
    with pytest.raises(NotFound):
        decode_action("sh:ketamine:01")  # one spelling per page: a padded number is not one the bot made


async def test_quiz_uses_the_server_settings(services: Services) -> None:
    router = services.router
    for key, value in (("questions", "4"), ("topics", "risks"), ("points", "50"), ("speed_bonus", "off")):
        await router.run(ADMIN, "ketamine-admin", "settings set", {"setting": key, "value": value})
    started = await router.run(MEMBER, "ketamine", "quiz start", {})
    assert "4 questions" in started.body and "score 50 points." in started.body
    (session,) = await services.quiz.uow().quizzes.running()
    asked = await services.quiz.uow().quizzes.asked_questions(session.id)
    bank = {q.id: q for q in services.app.library.modules["ketamine"].questions}
    assert {bank[q.question_id].topic for q in asked} == {"risks"}
    assert session.points == 50 and not session.speed_bonus
