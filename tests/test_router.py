"""The router checks every option value and turns bad input into an ephemeral message, never an exception."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.services.catalog import Caller
from bot.services.router import Router
from tests.helpers import add_second_module, copy_content, make_settings
from tests.quizkit import FakeClock, RecordingPublisher
from tests.servicekit import service_graph

CALLER = Caller(user_id=5, display_name="Ana", guild_id=10, channel_id=20)


async def test_each_topic_command_answers_with_its_topic(router: Router) -> None:
    expected = {
        "overview": "overview",
        "uses": "uses",
        "mechanism": "mechanism",
        "pharmacokinetics": "pharmacokinetics",
        "infusion": "infusion",
        "risks": "risks",
    }
    for command, topic_id in expected.items():
        reply = await router.run(CALLER, "ketamine", command, {})
        topic = router.app.library.modules["ketamine"].topic(topic_id)
        assert topic is not None and reply.title == topic.title and not reply.is_error


async def test_effects_variants(router: Router) -> None:
    physical = await router.run(CALLER, "ketamine", "effects", {"kind": "physical"})
    psychological = await router.run(CALLER, "ketamine", "effects", {"kind": "Psychological"})
    both = await router.run(CALLER, "ketamine", "effects", {"kind": "both"})
    assert physical.title.startswith("Physical")
    assert psychological.title.startswith("Psychological")
    assert both.title == physical.title and "c.effects.both" in both.buttons[1].action
    default = await router.run(CALLER, "ketamine", "effects", {})
    assert default == both


@pytest.mark.parametrize(
    ("group", "name", "options", "expected"),
    [
        ("ketamine", "nope", {}, "has no `nope` command"),
        ("nothing", "overview", {}, "no /nothing command group"),
        ("ketamine", "effects", {"kind": "both; DROP TABLE"}, "must be one of: physical, psychological, both"),
        ("ketamine", "search", {}, "needs `query:`"),
        ("ketamine", "search", {"query": ""}, "is empty"),
        ("ketamine", "search", {"query": "n" * 500}, "500 characters long"),
        ("ketamine", "overview", {"colour": "red"}, "has no option `colour`"),
    ],
)
async def test_bad_input_gets_a_clear_ephemeral_message(
    router: Router, group: str, name: str, options: dict[str, object], expected: str
) -> None:
    reply = await router.run(CALLER, group, name, options)
    assert reply.is_error and reply.ephemeral
    assert expected in reply.body


async def test_search_with_no_hits_suggests(router: Router) -> None:
    reply = await router.run(CALLER, "ketamine", "search", {"query": "zzqqxx"})
    assert reply.is_error and reply.ephemeral and "Nearest:" in reply.body


async def test_buttons_and_menu_round_trip(router: Router) -> None:
    first = await router.run(CALLER, "ketamine", "sources", {})
    second = await router.press(CALLER, first.buttons[1].action)
    assert "Page 2/" in second.footer
    index = await router.run(CALLER, "ketamine", "topics", {})
    assert index.menu is not None
    opened = await router.press(CALLER, index.menu.action, ["mechanism"])
    assert opened.title.startswith("Mechanism")


@pytest.mark.parametrize(
    ("action", "values", "expected"),
    [
        ("pg:ketamine:t.mechanism:99", (), "That page no longer exists"),
        ("pg:ketamine:t.gone:0", (), "no longer in /ketamine"),
        ("pg:other:t.mechanism:0", (), "no module called `other`"),
        ("pg:ketamine:x.y:0", (), "not one this bot made"),
        ("zz:" + "a" * 200, (), "not valid"),
        ("op:ketamine", ("gone",), "no longer in /ketamine"),
        ("op:ketamine", ("a", "b"), "exactly one topic"),
    ],
)
async def test_forged_or_stale_actions_are_refused(
    router: Router, action: str, values: tuple[str, ...], expected: str
) -> None:
    reply = await router.press(CALLER, action, values)
    assert reply.is_error and reply.ephemeral and expected in reply.body


async def test_second_module_gets_its_own_commands(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    add_second_module(content)
    async with service_graph(make_settings(tmp_path, content), FakeClock(), RecordingPublisher()) as services:
        router = services.router
        assert router.groups == ["caffeine", "ketamine", "caffeine-admin", "ketamine-admin"]
        assert [s.name for s in router.specs("caffeine")] == [
            *("basics", "topics", "search", "sources"),  # its content; no questions, so no quiz commands
            *("settings show", "settings history", "studygroup list", "privacy export", "privacy forget"),
            "help",
        ]
        assert [s.name for s in router.specs("caffeine-admin")] == [
            "settings set",
            "studygroup add",
            "studygroup remove",
        ]
        reply = await router.run(CALLER, "caffeine", "basics", {})
        assert reply.title == "Caffeine basics"
