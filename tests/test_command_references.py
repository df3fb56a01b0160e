"""Every command a reply tells the member to run exists, under the group it names: admin commands live under
``/ketamine-admin``, and a hint that says ``/ketamine settings set`` sends members to a command that is not there."""

from __future__ import annotations

import re

import pytest

from bot.core.reply import Reply
from bot.discord_app.markup import markup
from bot.services.catalog import Caller
from bot.services.router import Router

MEMBER = Caller(user_id=5, display_name="Ana", guild_id=10, channel_id=20)
ADMIN = Caller(user_id=6, display_name="Bo", guild_id=10, channel_id=20, can_manage_guild=True)
REFERENCE = re.compile(r"/(ketamine(?:-admin)?) ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?")


def references(reply: Reply) -> list[tuple[str, str, str | None]]:
    words = " ".join([reply.title, markup(reply.body), *(f"{f.name} {markup(f.value)}" for f in reply.fields)])
    return [(m[1], m[2], m[3]) for m in REFERENCE.finditer(words)]


def assert_each_exists(router: Router, reply: Reply) -> None:
    """Each reference whose first word starts a command of either group (prose such as "nothing in /ketamine
    matches" is not a reference) must be a command of the group it names."""
    starts = {spec.name.split(" ")[0] for spec in router.specs()}
    for group, first, second in references(reply):
        if first not in starts:
            continue
        names = {spec.name for spec in router.specs(group)}
        two = f"{first} {second}" if second else None
        assert first in names or two in names, f"“/{group} {first} {second or ''}” in {reply.title!r} is no command"


COMMANDS = [
    (MEMBER, "ketamine", "settings show", {}),
    (ADMIN, "ketamine", "settings show", {}),
    (MEMBER, "ketamine", "studygroup list", {}),
    (MEMBER, "ketamine", "quiz status", {}),
    (MEMBER, "ketamine", "quiz stop", {}),
    (MEMBER, "ketamine", "search", {"query": "zzqqxx"}),
    (MEMBER, "ketamine", "settings history", {}),
    (MEMBER, "ketamine", "review", {}),
    (MEMBER, "ketamine", "privacy share-name", {}),
    (MEMBER, "ketamine", "help", {}),
    (ADMIN, "ketamine", "help", {}),
    (Caller(user_id=5), "ketamine", "help", {}),
    (ADMIN, "ketamine-admin", "reports list", {}),
]


async def test_every_command_a_reply_names_exists(router: Router) -> None:
    seen = 0
    for caller, group, name, options in COMMANDS:
        reply = await router.run(caller, group, name, options)
        assert_each_exists(router, reply)
        seen += len(references(reply))
    assert seen > 20, "the replies above name commands; if none were found, the pattern is wrong"


def test_a_reference_to_a_command_in_the_wrong_group_is_caught(router: Router) -> None:
    wrong = Reply(title="Server settings", body="Change one with /ketamine settings set (needs Manage Server).")
    with pytest.raises(AssertionError, match="is no command"):
        assert_each_exists(router, wrong)
    assert_each_exists(router, Reply(title="ok", body="Change one with /ketamine-admin settings set."))
