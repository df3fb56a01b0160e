"""A neutral reply: services write members, channels, times and small print as tokens, never as Discord markup;
the Discord adapter and the console each render every token; user text is escaped in one place, in core, and
shows exactly as typed on both."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from rich.console import Console, RenderableType

from bot.console.app import CONSOLE_CALLER, KNOWN_NAMES
from bot.console.channels import HERE, channel_id
from bot.console.view import render_reply, render_text
from bot.core import render, text
from bot.core.content.library import ContentLibrary
from bot.core.quiz import render as quiz_render
from bot.core.quiz.scoring import Standing
from bot.core.reply import Reply, ReplyField
from bot.core.text import ChannelRef, Mention, Small, Timestamp, display_name, join, pieces, quote
from bot.discord_app.markup import markup
from bot.discord_app.replies import to_embed
from bot.services.bundle import Services
from bot.services.catalog import Caller
from bot.settings import PROJECT_ROOT
from tests.helpers import CONTENT
from tests.quizkit import FakeClock, RecordingPublisher

BOT = PROJECT_ROOT / "bot"
MARKUP = ("<t:", "<#", "<@", "-# ")
"""Discord's timestamp, channel, mention and small-print markup: written only by bot/discord_app/markup.py."""
READS_TYPED_MENTIONS = {("bot/services/router.py", "<@"), ("bot/services/router.py", "<#")}
"""The router reads a mention that a member typed or pasted as an option (``<@123>``); it writes none."""
MODULE = ContentLibrary.load(CONTENT).modules["ketamine"]
NOON = 1_700_049_600_000
"""Wednesday 15 November 2023, 12:00 UTC: the same date in every zone from UTC-11 to UTC+11."""
HOSTILE_NAME = "*_<@everyone>"


# Services write no markup ----------------------------------------------------------------------------


def string_literals(path: Path) -> Iterator[tuple[int, str]]:
    """Every string a module can produce: plain literals, and f-strings with ``{}`` for each value. A string
    standing alone as a statement (a docstring) produces nothing and is left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            skipped.add(id(node.value))
        elif isinstance(node, ast.JoinedStr):
            skipped.update(id(value) for value in node.values)
            joined = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
            yield node.lineno, str(joined)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skipped:
            yield node.lineno, node.value


@pytest.mark.parametrize("folder", ["core", "services", "console"])
def test_no_discord_markup_is_written_outside_the_discord_adapter(folder: str) -> None:
    """Core and services speak in tokens; the console turns tokens into words, so it has no markup to undo."""
    files = sorted((BOT / folder).rglob("*.py"))
    assert files
    for path in files:
        where = str(path.relative_to(PROJECT_ROOT))
        for line, literal in string_literals(path):
            for found in (m for m in MARKUP if m in literal):
                assert (where, literal) in READS_TYPED_MENTIONS, f"{where}:{line} writes {found!r}: {literal!r}"


def test_the_typed_mention_exception_still_exists() -> None:
    """The allowance above is for a real line of the router; if the router stops reading typed mentions (or
    moves that to core), the allowance is to go too."""
    literals = {literal for _, literal in string_literals(BOT / "services" / "router.py")}
    assert {literal for _, literal in READS_TYPED_MENTIONS} <= literals


def console_text(renderable: RenderableType, width: int = 200) -> str:
    console = Console(record=True, width=width, color_system=None, force_terminal=False)
    console.print(renderable)
    return console.export_text()


def tokens_of(reply: Reply) -> set[type]:
    texts = [reply.body, *(f.value for f in reply.fields)]
    return {type(piece) for t in texts for piece in pieces(t) if not isinstance(piece, str)}


async def test_every_reply_kind_reads_in_plain_words_in_the_console(services: Services) -> None:
    """Every command, the quiz's posts from question to results, and the refusals that name channels: the
    console shows none of Discord's markup, and the run meets every kind of token. (Names and queries here are
    harmless: a user's own ``<@`` is shown as typed, which the hostile-name test below checks.)"""
    router, publisher, clock = services.router, services.quiz.publisher, services.quiz.clock
    assert isinstance(publisher, RecordingPublisher) and isinstance(clock, FakeClock)
    admin = Caller(user_id=1, display_name="admin", guild_id=10, channel_id=21, can_manage_guild=True)
    member = Caller(user_id=2, display_name="ana", guild_id=10, channel_id=21)
    elsewhere = Caller(user_id=3, display_name="ben", guild_id=10, channel_id=22)
    replies: list[Reply] = []

    async def run(caller: Caller, name: str, options: dict[str, str | int]) -> Reply:
        group = "ketamine-admin" if name in {"settings set", "studygroup add", "studygroup remove"} else "ketamine"
        reply = await router.run(caller, group, name, options)
        replies.append(reply)
        return reply

    await run(admin, "studygroup add", {"channel": 21, "topic": "risks", "daily": "on"})
    await run(admin, "studygroup list", {})
    assert (await run(elsewhere, "quiz start", {})).is_error  # names the study-group channels
    assert (await run(admin, "studygroup remove", {"channel": 22})).is_error  # names the channel
    await run(admin, "settings set", {"setting": "questions", "value": "5"})
    await run(admin, "settings show", {})
    await run(admin, "settings history", {})
    await run(member, "quiz start", {"questions": 1})
    await publisher.wait_until(lambda: any(r.buttons for _, _, r in publisher.posts))
    await run(member, "quiz status", {})
    _, question = publisher.last_question()
    replies.append(await router.press(member, question.buttons[0].action))
    for _ in range(20):
        if "Quiz over · results" in publisher.titles():
            break
        await clock.advance(10_000)
    assert "Quiz over · results" in publisher.titles()
    await run(member, "leaderboard", {})
    await run(admin, "stats", {"member": member.user_id})
    for spec in router.specs():  # every command that needs no option, as it comes
        if spec.group == "ketamine" and not any(o.required for o in spec.options):
            await run(admin, spec.name, {})
        elif spec.admin and not any(o.required for o in spec.options):
            replies.append(await router.run(admin, spec.group, spec.name, {}))
    await run(admin, "search", {"query": "norketamine"})
    replies += [reply for _, _, reply in publisher.posts + publisher.edits]

    seen: set[type] = set()
    for reply in replies:
        shown = console_text(render_reply(reply, KNOWN_NAMES))
        assert not [m for m in MARKUP if m in shown], (reply.title, shown)
        seen |= tokens_of(reply)
    assert seen == {Mention, ChannelRef, Timestamp, Small}


# The Discord adapter ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "discord"),
    [
        (text.text("by ", Mention(42)), "by <@42>"),
        (text.text(ChannelRef(7), " is a study group"), "<#7> is a study group"),
        (text.text("closes ", Timestamp(NOON + 999)), "closes <t:1700049600:R>"),
        (Timestamp(NOON, "datetime"), "<t:1700049600:F>"),
        (Timestamp(NOON, "date"), "<t:1700049600:D>"),
        (text.text("**10**", Small("1 to 50")), "**10**\n-# 1 to 50"),
        (text.text("**10**\n", Small("1 to 50")), "**10**\n-# 1 to 50"),
        (text.text(Small("hint"), "next line"), "-# hint\nnext line"),
        (text.text("a\n", Small("hint"), "\nb"), "a\n-# hint\nb"),
        (join(", ", [ChannelRef(1), ChannelRef(2)]), "<#1>, <#2>"),
        ("plain **words**", "plain **words**"),
    ],
)
def test_discord_renders_each_token_as_its_markup(value: text.Text | text.Token, discord: str) -> None:
    as_text = text.text(value)
    assert markup(as_text) == discord
    embed = to_embed(Reply(title="t", body=as_text, fields=[ReplyField(name="f", value=as_text)]))
    assert embed.description == discord and embed.fields[0].value == discord


def test_text_is_one_form_for_one_text() -> None:
    """Words in a row merge, empty words drop, and a text without tokens is a plain string; so equal replies
    compare equal (the console skips printing an edit that changes nothing)."""
    assert text.text("a", "", "b", ("c",)) == "abc"
    assert text.text("a", Mention(1), "b", "c") == ("a", Mention(1), "bc")
    assert Reply(title="t", body=("a", "b")) == Reply(title="t", body="ab")
    assert join("\n", []) == "" and join("\n", ["a", "b"]) == "a\nb"
    with pytest.raises(ValueError, match="one line"):
        Small("two\nlines")


# The console ---------------------------------------------------------------------------------------------


def local(ms: int, pattern: str) -> str:
    when = datetime.fromtimestamp(ms // 1000).astimezone()
    return when.strftime(pattern.format(day=when.day))


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Mention(42), "member 42"),
        (Mention(CONSOLE_CALLER.user_id), "you"),  # the console's own user, by name
        (ChannelRef(channel_id("#pharm-study")), "#pharm-study"),
        (ChannelRef(channel_id("#__init__")), "#__init__"),
        (ChannelRef(HERE), "#console"),
        (ChannelRef(123), "channel 123"),
        (Timestamp(NOON), "at " + local(NOON, "%H:%M:%S")),
        (Timestamp(NOON, "datetime"), local(NOON, "%A {day} %B %Y, %H:%M %Z")),
        (Timestamp(NOON, "date"), "15 November 2023"),
        (Small("1 to 50"), "1 to 50"),
    ],
)
def test_console_renders_each_token_in_plain_words(value: text.Token, shown: str) -> None:
    assert console_text(render_text(text.text(value), KNOWN_NAMES)).strip() == shown


def test_console_keeps_line_breaks_and_dims_small_print() -> None:
    console = Console(record=True, width=80, color_system="standard", force_terminal=True)
    segments = list(console.render(render_text(text.text("**10**\nshown", Small("1 to 50")))))
    small = [s for s in segments if "1 to 50" in s.text]
    bold = [s for s in segments if s.text == "10"]
    assert small and all(s.style is not None and s.style.dim for s in small)
    assert bold and all(s.style is not None and s.style.bold and not s.style.dim for s in bold)
    lines = [line.strip() for line in console_text(render_text("one\ntwo")).splitlines() if line.strip()]
    assert lines == ["one", "two"]


# One escape for user text ---------------------------------------------------------------------------------


def test_there_is_one_escaping_function() -> None:
    """Every module that shows user text uses bot.core.text.escape; no other module backslash-escapes."""
    assert render.escape is text.escape and render.quote is text.quote
    for path in BOT.rglob("*.py"):
        if path == BOT / "core" / "text.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.name not in {"escape", "quote", "safe_name"}, f"{path}: defines {node.name}"
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert node.value != r"\\\1", f"{path}:{node.lineno} backslash-escapes text itself"


def test_a_hostile_display_name_shows_literally_on_discord_and_in_the_console() -> None:
    names = {7: HOSTILE_NAME}
    table = [Standing(user_id=7, points=10, correct=1, answered=1, fastest_ms=900)]
    replies = [
        quiz_render.stats_reply(MODULE, HOSTILE_NAME, 1, 1, 10, 1, [("risks", 1, 1)]),
        quiz_render.results_reply(MODULE, table, names, asked=1, stopped=False),
        quiz_render.leaderboard_reply(MODULE, [("This server", [(7, 10, 1, 1)], (1, 10))], names),
        render.search_results(MODULE, HOSTILE_NAME, []),
    ]
    escaped = display_name(HOSTILE_NAME)
    assert escaped == r"\*\_\<\@everyone\>" == quote(HOSTILE_NAME)
    for reply in replies:
        embed = to_embed(reply)
        discord = " ".join([embed.title or "", embed.description or "", *(f.value or "" for f in embed.fields)])
        assert escaped in discord and "<@" not in discord.replace(r"\<\@", ""), discord
        shown = console_text(render_reply(reply), width=300)
        assert HOSTILE_NAME in shown and "\\" not in shown, shown
    assert console_text(render_reply(replies[0])).splitlines()[0].startswith(f"╭─ Stats · {HOSTILE_NAME} ")
