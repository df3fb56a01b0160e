"""``/ketamine help``: every command a member can use, grouped, built from the catalogue; admin commands only
for members who can use them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core import limits
from bot.core.text import Text
from bot.services.catalog import Caller
from bot.services.router import Router
from tests.helpers import add_second_module, copy_content, make_settings
from tests.quizkit import FakeClock, RecordingPublisher
from tests.servicekit import service_graph

MEMBER = Caller(user_id=5, display_name="Ana", guild_id=10, channel_id=20)
ADMIN = Caller(user_id=6, display_name="Bo", guild_id=10, channel_id=20, can_manage_guild=True)


def _words(body: Text) -> str:
    assert isinstance(body, str), "help is plain words"
    return body


async def test_a_member_sees_every_member_command_once_and_where_the_admin_ones_are(router: Router) -> None:
    reply = await router.run(MEMBER, "ketamine", "help", {})
    body = _words(reply.body)
    assert reply.ephemeral and not reply.is_error
    for spec in router.specs("ketamine"):
        if spec.name != "help":
            assert body.count(f"`{spec.path}") == 1, spec.path
    assert "/ketamine search <query>" in body and "/ketamine stats [member]" in body
    assert "/ketamine-admin " not in body, "admin commands are listed only for admins"
    assert "`/ketamine-admin`" in body, "a member is told where the admin commands are"
    assert "not medical advice" in body and "not medical advice" in reply.footer


async def test_an_admin_also_sees_the_admin_commands_in_their_own_section(router: Router) -> None:
    body = _words((await router.run(ADMIN, "ketamine", "help", {})).body)
    admin_part = body.split("**For admins (Manage Server)**", 1)[1]
    for spec in router.specs("ketamine-admin"):
        assert f"`{spec.path}" in admin_part, spec.path
    quizzes = body.split("**Quizzes**", 1)[1].split("**", 1)[0]
    assert "/ketamine quiz start [questions] [topic] [difficulty]`" in quizzes
    assert "/ketamine leaderboard [scope]`" in quizzes


@pytest.mark.parametrize("caller", [MEMBER, ADMIN], ids=["member", "admin"])
async def test_help_fits_one_discord_embed(router: Router, caller: Caller) -> None:
    reply = await router.run(caller, "ketamine", "help", {})
    body = _words(reply.body)
    assert len(body) <= limits.EMBED_DESCRIPTION
    assert len(reply.title) + len(body) + len(reply.footer) <= limits.EMBED_TOTAL


async def test_each_module_has_its_own_help(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    add_second_module(content)
    async with service_graph(make_settings(tmp_path, content), FakeClock(), RecordingPublisher()) as services:
        body = _words((await services.router.run(MEMBER, "caffeine", "help", {})).body)
        assert "`/caffeine basics`" in body and "/ketamine" not in body
        assert "Quizzes" not in body, "a module without questions has no quiz commands to list"


async def test_in_direct_messages_the_commands_that_need_a_server_say_so(router: Router) -> None:
    body = _words((await router.run(Caller(user_id=5), "ketamine", "help", {})).body)
    for spec in router.specs("ketamine"):
        if spec.name == "help":
            continue
        line = next(line for line in body.splitlines() if f"`{spec.path}" in line)
        assert line.endswith("(in a server)") == spec.guild_only, line
    in_server = _words((await router.run(MEMBER, "ketamine", "help", {})).body)
    assert "(in a server)" not in in_server
