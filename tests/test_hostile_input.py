"""Hostile input, without Discord: random and malicious option values, forged button ids, console lines and
corrupted content files.

Each is refused with a clear message or ignored: the router always returns a reply (it never raises), an
error reply is ephemeral and shows no traceback or exception name, every reply fits Discord's limits, no
reply can ping (echoed text and display names are escaped), and the database never gets a bad row.

Hypothesis drives the inputs with ``derandomize=True``, so every run (and CI) tries the same examples.
"""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from bot.console.app import ConsoleApp
from bot.console.publisher import ConsolePublisher
from bot.core import limits, render
from bot.core.actions import PREFIX
from bot.core.content.library import ContentError, ContentLibrary
from bot.core.reply import Reply
from bot.discord_app.markup import markup
from bot.services.app import App
from bot.services.bundle import Services
from bot.services.catalog import Caller, CommandSpec, OptionSpec
from bot.services.content import ContentService
from tests.helpers import copy_content, make_settings
from tests.hostilekit import FIXED_TEXT, NEAR_MISSES, repeated
from tests.quizkit import FakeClock, RecordingPublisher
from tests.replykit import all_documents, assert_embed_fits, assert_fits

T = TypeVar("T")

GUILD_A, GUILD_B = 10, 11
CHANNELS = {GUILD_A: (20, 21), GUILD_B: (30,)}
USERS = {GUILD_A: range(1, 31), GUILD_B: range(101, 131)}
"""Members of each server; a row naming a user of another server than its session's is a bad row."""
POINTS = 100


def hostile(max_examples: int) -> settings:
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    )


# Hostile values ------------------------------------------------------------------------------------------


PIECES = ["a", "@everyone ", "<@&5>", "`", "\x00", "é", "🧪", "**", "9", "\n"]
LONG_TEXT = st.builds(repeated, st.sampled_from(PIECES), st.integers(0, 6000))
CONTROL_TEXT = st.text(st.characters(max_codepoint=0x1F), max_size=40)
SAFE_ALPHABET = st.characters(exclude_categories=["Cs"])
TEXT = st.text(SAFE_ALPHABET, max_size=120)
HUGE_VALUES = [2**63, 2**64, 2**70, -(2**70), -(2**63) - 1, 2**53 + 1]
HUGE = st.sampled_from(HUGE_VALUES)
VALUES: st.SearchStrategy[object] = st.one_of(
    st.sampled_from(FIXED_TEXT),
    TEXT,
    LONG_TEXT,
    CONTROL_TEXT,
    st.integers(-(2**70), 2**70),
    st.integers(-3, 60),
    HUGE,
    st.booleans(),
    st.none(),
    st.floats(),
    st.lists(st.integers(), max_size=3),
    st.binary(max_size=8),
)
HOSTILE_ID_VALUES: list[object] = [
    *("²", "٣", "1" * 5000, str(2**63), str(2**64 - 1), 2**63, 2**64, -5, 0, "<@&5>", "<@!>", "<@²>", "<#²>"),
    *(f"<@{2**63}>", f"<#{2**64}>", "@everyone", "", " ", "<@101>", "<#30>", "30", "101", 101, 30),
]
"""For member and channel options: other servers' ids, ids too big for SQLite, digits int() refuses."""
HOSTILE_IDS = st.sampled_from(HOSTILE_ID_VALUES) | st.integers(-(2**70), 2**70)
NAMES = st.one_of(
    st.sampled_from(["@everyone <@&1> **x**", "@here", "<@123>", "```", "\\", "x" * 300, "", " ", "\x00\n\r"]),
    st.text(SAFE_ALPHABET, max_size=40),
)


@st.composite
def callers(draw: st.DrawFn, guild: int | None = None) -> Caller:
    """A member of server A or B in one of its channels, or someone in direct messages (or one of ``guild``).

    Every field is drawn whatever the outcome, so that the same draws replay the same way for any ``guild``.
    """
    where = draw(st.sampled_from(["a", "a", "a", "b", "dm"]))
    user, channel = draw(st.integers(0, 29)), draw(st.integers(0, 1))
    name, manage = draw(NAMES), draw(st.booleans())
    if where == "dm" and guild is None:
        return Caller(user_id=USERS[GUILD_A][user], display_name=name)
    guild = guild or (GUILD_A if where == "a" else GUILD_B)
    channels = CHANNELS[guild]
    return Caller(
        user_id=USERS[guild][user],
        display_name=name,
        guild_id=guild,
        channel_id=channels[channel % len(channels)],
        can_manage_guild=manage,
    )


def hostile_for(option: OptionSpec) -> st.SearchStrategy[object]:
    if option.kind in ("user", "channel"):
        return HOSTILE_IDS | VALUES
    if option.kind == "integer":
        return (
            HUGE | st.integers(-(2**70), 2**70) | st.sampled_from(["²", "1" * 5000, "9" * 4000, " 1 ", "1.0"]) | VALUES
        )
    return VALUES


EVERY_HOSTILE_VALUE: list[object] = [
    *FIXED_TEXT,
    *HOSTILE_ID_VALUES,
    *HUGE_VALUES,
    *(True, False, None, 1.5, float("nan"), float("inf"), [], ["a", "b"], {}, {"a": 1}, b"\x00", object()),
    *(repeated("@everyone ", 6000), repeated("a", 6000), repeated("\x00", 300), "9" * 4000, "1.0", " 1 "),
]
FILLERS: dict[str, object] = {"query": "nmda", "setting": "questions", "value": "5", "channel": CHANNELS[GUILD_A][0]}
"""A plausible value for each required option, so that a hostile value of another option gets checked too."""


def plausible(option: OptionSpec) -> st.SearchStrategy[object]:
    """Values a real member might type for this option, some just out of range."""
    if option.choices:
        return st.sampled_from([*option.choices, *(c.upper() for c in option.choices), "nope"])
    if option.kind == "integer":
        low, high = option.min_value or 0, option.max_value or 100
        return st.integers(low - 2, high + 2) | st.integers(low, high).map(lambda n: f" {n} ")
    if option.kind == "user":
        ids = [*USERS[GUILD_A], *USERS[GUILD_B], 999_999]
        return st.sampled_from(ids) | st.sampled_from(ids).map(lambda i: f"<@{i}>") | st.sampled_from(ids).map(str)
    if option.kind == "channel":
        ids = [*CHANNELS[GUILD_A], *CHANNELS[GUILD_B], 999_999]
        return st.sampled_from(ids) | st.sampled_from(ids).map(lambda i: f"<#{i}>")
    return st.sampled_from(["nmda", "norketamine", "infusion", "esketamine", "dissociation", "zzqqxx"])


@st.composite
def not_a_command(draw: st.DrawFn) -> tuple[str, str, dict[object, object]]:
    group = draw(st.sampled_from(["ketamine", "KETAMINE", "", "nothing", "@everyone", "<@&5>"]) | TEXT)
    name = draw(st.sampled_from(["nope", "quiz", "quiz start now", "search norketamine", "quiz  start", ""]) | TEXT)
    return group, name, draw(st.dictionaries(TEXT, VALUES, max_size=2))


@st.composite
def options_for(draw: st.DrawFn, spec: CommandSpec) -> dict[object, object]:
    """Each option left out, plausible or hostile; now and then an option the command does not have."""
    options: dict[object, object] = {}
    for option in spec.options:
        how = draw(st.sampled_from(["omit", "plausible", "hostile", "hostile"]))
        if how != "omit":
            options[option.name] = draw(plausible(option) if how == "plausible" else hostile_for(option))
    if draw(st.integers(0, 7)) == 0:
        unknown = draw(st.sampled_from(["colour", "", "query ", "QUESTIONS", "member\x00", 7, None]) | TEXT)
        options[unknown] = draw(VALUES)
    return options


def pick(items: list[T]) -> st.SearchStrategy[T]:
    """One of a list that grows while the test runs; drawn as a fixed-range number so replays stay consistent."""
    return st.integers(0, 10**6).map(lambda i: items[i % len(items)])


def with_typo(action: str, where: int, char: str, how: int) -> str:
    """A real action with one character changed, dropped or added."""
    i = where % max(len(action), 1)
    if how == 0:
        return action[:i] + char + action[i + 1 :]
    if how == 1:
        return action[:i] + action[i + 1 :]
    return action[:i] + char + action[i:]


TYPO_CHARS = st.sampled_from([*":.-09az", "\x00", "é", " "])


# The rig: one database, one router, one event loop for all examples of a test ------------------------------


class QuickClock(FakeClock):
    """The hand-moved clock, waking waiters with a shorter pause than the quiz tests need."""

    async def advance(self, ms: int) -> None:
        self._now += ms
        tick, self._tick = self._tick, asyncio.Event()
        tick.set()
        for _ in range(3):
            await asyncio.sleep(0.002)


class ServerPublisher(RecordingPublisher):
    """Knows which server each channel belongs to; any other channel id belongs to no server we know."""

    async def channel_guild(self, channel_id: int) -> int | None:
        return next((guild for guild, channels in CHANNELS.items() if channel_id in channels), None)


def quiz_settings(tmp_path: Path) -> Any:
    return make_settings(
        tmp_path, quiz_questions=3, quiz_seconds=20, quiz_points=POINTS, quiz_speed_bonus=True, quiz_reveal_seconds=2
    )


class Rig:
    """Every use case wired as the adapters wire them (``Services``), on one event loop the test drives."""

    def __init__(self, tmp_path: Path) -> None:
        self.runner = asyncio.Runner()
        self.app = self.run(App.open(quiz_settings(tmp_path)))
        self.clock = QuickClock()
        self.publisher = ServerPublisher()
        self.services = Services.create(self.app, self.clock, self.publisher)
        self.quiz = self.services.quiz
        self.router = self.services.router
        self.module = self.app.library.modules["ketamine"]
        self.bank = {q.id: q for q in self.module.questions}
        self.actions: list[str] = []
        self.replies = 0

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.runner.run(coro)

    def close(self) -> None:
        self.run(self.services.stop())
        self.run(self.app.close())
        self.runner.close()

    def command(self, caller: Caller, group: str, name: str, options: dict[object, object]) -> Reply:
        reply = self.run(self.router.run(caller, group, name, options))  # type: ignore[arg-type]
        self.check(reply, f"/{group} {name} {options!r} by {caller!r}")
        return reply

    def press(self, caller: Caller, action: str, values: list[str]) -> Reply:
        reply = self.run(self.router.press(caller, action, values))
        self.check(reply, f"press {action!r} {values!r} by {caller!r}")
        return reply

    def check(self, reply: Reply, what: str) -> None:
        assert isinstance(reply, Reply), what
        self.replies += 1
        check_reply(reply, what)
        self.actions.extend(b.action for b in reply.buttons)
        if reply.menu is not None:
            self.actions.append(reply.menu.action)
        del self.actions[:-200]

    def known_actions(self) -> list[str]:
        posted = [b.action for _, _, r in self.publisher.posts for b in r.buttons]
        return [*self.actions, *posted[-50:]] or ["ix:ketamine"]

    def session_ids(self) -> list[int]:
        ids = {int(a.split(":")[1]) for a in self.known_actions() if a.startswith("qa:")}
        return sorted(ids) or [1]

    def open_questions(self) -> list[tuple[int, str]]:
        """(server, answer action) of every answer button posted, newest first."""
        guild_of = {channel: guild for guild, channels in CHANNELS.items() for channel in channels}
        found = [
            (guild_of[channel], b.action)
            for channel, _, reply in reversed(self.publisher.posts)
            for b in reply.buttons
            if b.action.startswith("qa:")
        ]
        return found[:40] or [(GUILD_A, "qa:1:0:0")]

    def settle(self) -> None:
        self.run(asyncio.sleep(0.05))

    def check_published(self) -> None:
        """Quiz messages posted to channels: questions, reveals, results."""
        for channel, _, reply in [*self.publisher.posts, *self.publisher.edits]:
            assert channel in {c for cs in CHANNELS.values() for c in cs}
            check_reply(reply, f"posted in {channel}: {reply.title}")
            assert not reply.ephemeral and not reply.is_error

    def check_database(self) -> None:
        self.run(self._check_database())

    async def _check_database(self) -> None:
        db = self.app.db

        async def rows(sql: str) -> list[dict[str, Any]]:
            return [{key: row[key] for key in row.keys()} for row in await db.fetch_all(sql)]  # noqa: SIM118

        topics = {t.id for t in self.module.topics}
        sessions = {s["id"]: s for s in await rows("SELECT * FROM quiz_sessions")}
        assert sessions, "the hostile run started no quiz at all"
        for s in sessions.values():
            assert s["guild_id"] in CHANNELS and s["channel_id"] in CHANNELS[s["guild_id"]], s
            assert s["starter_id"] in USERS[s["guild_id"]], s
            assert s["module"] == "ketamine" and (s["topic"] is None or s["topic"] in topics), s
            assert s["difficulty"] in (None, 1, 2, 3), s
            assert 1 <= s["question_count"] <= 50 and 1 <= s["points"] <= 10_000, s
        asked = {(q["session_id"], q["position"]): q for q in await rows("SELECT * FROM quiz_questions")}
        for (session_id, position), q in asked.items():
            assert session_id in sessions and 0 <= position < sessions[session_id]["question_count"], q
            assert q["question_id"] in self.bank, q
            if q["asked_ms"] is not None:
                assert q["deadline_ms"] is not None and q["asked_ms"] <= q["deadline_ms"], q
        for session_id, s in sessions.items():
            assert sum(1 for key in asked if key[0] == session_id) == s["question_count"], s
        answers = await rows("SELECT * FROM quiz_answers")
        for a in answers:
            session = sessions.get(a["session_id"])
            q = asked.get((a["session_id"], a["position"]))
            assert session is not None and q is not None, a
            assert a["guild_id"] == session["guild_id"] and a["user_id"] in USERS[session["guild_id"]], a
            question = self.bank[q["question_id"]]
            assert 0 <= a["choice"] < len(question.choices), a
            assert bool(a["correct"]) == (a["choice"] == question.answer) and a["topic"] == question.topic, a
            assert 0 <= a["points"] <= 2 * session["points"] and (a["correct"] or a["points"] == 0), a
            assert q["asked_ms"] is not None and q["asked_ms"] <= a["answered_ms"] <= q["deadline_ms"], (a, q)
            assert q["revealed_ms"] is None or a["answered_ms"] <= q["revealed_ms"], (a, q)
        for m in await rows("SELECT * FROM members"):
            assert m["guild_id"] in USERS and m["user_id"] in USERS[m["guild_id"]], m
        for c in await rows("SELECT * FROM study_channels"):
            assert c["guild_id"] in CHANNELS and c["channel_id"] in CHANNELS[c["guild_id"]], c
            assert c["added_by"] in USERS[c["guild_id"]] and (c["topic"] is None or c["topic"] in topics), c
        for table in [r["name"] for r in await rows("SELECT name FROM sqlite_master WHERE type = 'table'")]:
            for row in await rows(f"SELECT * FROM {table}"):  # any table, present or future: only our servers
                # A row of no server (none: the question-of-the-day schedule's job) is checked as any server's.
                guilds = [row["guild_id"]] if row.get("guild_id") is not None else list(CHANNELS)
                assert set(guilds) <= set(CHANNELS), (table, row)
                if "channel_id" in row:
                    assert any(row["channel_id"] in CHANNELS[g] for g in guilds), (table, row)
                for column in ("user_id", "starter_id", "added_by"):
                    if column in row:
                        assert any(row[column] in USERS[g] for g in guilds), (table, column, row)


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    rig = Rig(tmp_path)
    try:
        yield rig
    finally:
        rig.close()


# What every reply must be ------------------------------------------------------------------------------

PING = re.compile(r"(?<!\\)@(everyone|here)|(?<!\\)<@[!&]?\d")
EXCEPTION_NAME = re.compile(r"\b[A-Z][A-Za-z]*(Error|Exception)\b|Traceback|File \"")


def texts_of(reply: Reply) -> list[str]:
    """Every text of a reply as Discord receives it (bodies and field values written as Discord markup)."""
    texts = [reply.title, markup(reply.body), reply.footer]
    texts += [part for f in reply.fields for part in (f.name, markup(f.value))]
    texts += [b.label for b in reply.buttons]
    if reply.menu is not None:
        texts.append(reply.menu.placeholder)
        texts += [part for o in reply.menu.options for part in (o.label, o.description or "")]
    return texts


def check_reply(reply: Reply, what: str) -> None:
    if reply.is_error:
        assert reply.ephemeral, what
        assert markup(reply.body).strip(), what
        assert not EXCEPTION_NAME.search(markup(reply.body)), (what, reply.body)
    if reply.ephemeral:  # acknowledgements and errors go to one member; they carry no disclaimer
        assert_embed_fits(reply)
        assert all(len(PREFIX + b.action) <= limits.CUSTOM_ID for b in reply.buttons), what
    else:
        assert_fits(reply)
    for text in texts_of(reply):
        assert not PING.search(text), (what, text)


# Commands and clicks -----------------------------------------------------------------------------------


def test_random_and_hostile_commands_and_clicks_never_break_anything(rig: Rig) -> None:
    specs = rig.router.specs()
    assert {s.name for s in specs} >= {"search", "quiz start", "stats", "effects", "leaderboard"}
    for guild in (GUILD_A, GUILD_B):  # a quiz running in each server, for real and forged answer clicks
        starter = Caller(user_id=USERS[guild][0], display_name="starter", guild_id=guild, channel_id=CHANNELS[guild][0])
        assert not rig.command(starter, "ketamine", "quiz start", {}).is_error
    rig.settle()

    @hostile(max_examples=150)
    @given(st.data())
    def example(data: st.DataObject) -> None:
        for spec in specs:  # every command, each with its own random caller and options
            caller = data.draw(callers(), label=f"caller of {spec.path}")
            rig.command(caller, spec.group, spec.name, data.draw(options_for(spec), label=spec.path))
        rig.command(data.draw(callers()), *data.draw(not_a_command(), label="not a command"))
        for _ in range(data.draw(st.integers(1, 6), label="steps")):
            step = data.draw(st.sampled_from(["start", "press", "press", "answer", "answer", "clock"]))
            caller = data.draw(callers(), label="caller")
            if step == "start":  # a plausible quiz start, so that quizzes keep running for answers to reach
                spec = rig.router.find("ketamine", "quiz start")
                options = {o.name: data.draw(plausible(o)) for o in spec.options if data.draw(st.booleans())}
                rig.command(caller, spec.group, spec.name, options)
            elif step == "press":
                known = rig.known_actions()
                sessions = pick(rig.session_ids()) | st.integers(0, 10**20)
                action = data.draw(
                    st.one_of(
                        st.text(SAFE_ALPHABET, max_size=200),
                        st.sampled_from(NEAR_MISSES),
                        st.builds("qa:{}:{}:{}".format, sessions, st.integers(-1, 120), st.integers(-1, 9)),
                        pick(known),
                        st.builds(with_typo, pick(known), st.integers(0, 200), TYPO_CHARS, st.integers(0, 2)),
                    ),
                    label="action",
                )
                topics = st.sampled_from([t.id for t in rig.module.topics])
                values = data.draw(st.lists(topics | TEXT | st.sampled_from(FIXED_TEXT), max_size=3), label="values")
                rig.press(caller, action, values)
            elif step == "answer":  # a real answer button, mostly by a member of its server, else by anyone
                guild, action = data.draw(pick(rig.open_questions()), label="answer")
                if data.draw(st.integers(0, 3)):
                    caller = data.draw(callers(guild), label="member")
                rig.press(caller, action, [])
            else:
                rig.run(rig.clock.advance(data.draw(st.integers(0, 25_000), label="ms")))

    example()
    rig.settle()
    assert rig.replies > 150 * len(specs)
    rig.check_published()
    rig.check_database()
    answered = rig.run(rig.app.db.fetch_all("SELECT COUNT(*) AS n FROM quiz_answers"))[0]["n"]
    assert answered > 0, "no real answer got through: the run did not reach the answer path"


def test_every_option_gets_every_hostile_value(rig: Rig) -> None:
    """Not left to chance: each fixed hostile value, in each option of each command, by a member who may
    change settings, in server A."""
    admin = Caller(user_id=1, display_name="@here", guild_id=GUILD_A, channel_id=20, can_manage_guild=True)
    tried = 0
    for spec in rig.router.specs():
        for option in spec.options:
            base = {o.name: FILLERS.get(o.name, "1") for o in spec.options if o.required and o.name != option.name}
            for value in EVERY_HOSTILE_VALUE:
                rig.command(admin, spec.group, spec.name, {**base, option.name: value})
                tried += 1
    assert tried > 10 * len(EVERY_HOSTILE_VALUE)
    rig.settle()
    rig.check_published()
    rig.check_database()


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"member": "²"}, "must be a member of this server"),
        ({"member": "1" * 5000}, "must be a member of this server"),
        ({"member": str(2**64 - 1)}, "must be a member of this server"),
        ({"member": str(2**63)}, "must be a member of this server"),
        ({"member": f"<@{2**63}>"}, "must be a member of this server"),
    ],
)
def test_member_ids_that_used_to_raise_are_refused(rig: Rig, options: dict[object, object], expected: str) -> None:
    """These raised ValueError (int("²"), int of 5000 digits) or OverflowError (SQLite's 64-bit integers)."""
    caller = Caller(user_id=1, display_name="ana", guild_id=GUILD_A, channel_id=20)
    reply = rig.command(caller, "ketamine", "stats", options)
    assert reply.is_error and expected in reply.body


def test_a_huge_number_is_refused_within_discords_limits(rig: Rig) -> None:
    caller = Caller(user_id=1, display_name="ana", guild_id=GUILD_A, channel_id=20)
    reply = rig.command(caller, "ketamine", "quiz start", {"questions": "9" * 4000})
    assert reply.is_error and "must be from 1 to 50" in reply.body and len(reply.body) < 200


def test_echoed_input_is_escaped(rig: Rig) -> None:
    caller = Caller(user_id=1, display_name="ana", guild_id=GUILD_A, channel_id=20)
    searched = rig.command(caller, "ketamine", "search", {"query": "@everyone **zzqqxx**"})
    assert searched.is_error and "“\\@everyone \\*\\*zzqqxx\\*\\*”" in searched.body
    unknown = rig.command(caller, "ketamine", "overview", {"<@&5>": 1})
    assert unknown.is_error and "`\\<\\@\\&5\\>`" in unknown.body  # the one escape for user text escapes & too
    number = rig.command(caller, "ketamine", "quiz start", {"questions": "@here"})
    assert number.is_error and "“\\@here”" in number.body


def test_hostile_display_names_are_escaped_everywhere_they_are_shown(rig: Rig) -> None:
    evil_name = "@everyone <@&1> **x**"
    shown = r"\@everyone \<\@\&1\> \*\*x\*\*"
    evil = Caller(user_id=7, display_name=evil_name, guild_id=GUILD_A, channel_id=20)
    assert not rig.command(evil, "ketamine", "quiz start", {"questions": 1}).is_error
    rig.run(rig.publisher.wait_until(lambda: bool(rig.publisher.posts)))
    _, question = rig.publisher.last_question()
    session_id, position = (int(x) for x in question.buttons[0].action.split(":")[1:3])
    asked = rig.run(rig.quiz.uow().quizzes.question(session_id, position))
    assert asked is not None
    right = rig.bank[asked.question_id].answer
    assert rig.press(evil, question.buttons[right].action, []).title.startswith("Locked in")
    rig.run(rig.clock.advance(21_000))
    rig.run(rig.publisher.wait_until(lambda: bool(rig.publisher.edits)))
    rig.run(rig.clock.advance(2_000))
    rig.run(rig.publisher.wait_until(lambda: rig.publisher.titles()[-1] == "Quiz over · results"))
    reveal = rig.publisher.edits[-1][2]
    results = rig.publisher.posts[-1][2]
    assert shown in reveal.fields[1].value
    assert shown in results.body and shown in results.fields[0].value
    board = rig.command(evil, "ketamine", "leaderboard", {})
    assert shown in board.fields[0].value
    other = Caller(user_id=8, display_name="ben", guild_id=GUILD_A, channel_id=20)
    stats = rig.command(other, "ketamine", "stats", {"member": 7})
    assert stats.title == f"Stats · {shown}"
    rig.check_published()
    rig.check_database()


def test_long_display_names_are_cut_before_escaping() -> None:
    from bot.core.text import display_name

    for name in ("a" * 31 + "*" * 40, "@" * 100, "x\n\r\x00y", "`" * 33):
        shown = display_name(name)
        assert not re.search(r"(?<!\\)(\\\\)*\\$", shown), f"{name!r} ends in a cut escape: {shown!r}"
        assert len(shown) <= 64 and not re.search(r"[\x00-\x1f]", shown)


def test_autocomplete_takes_anything_typed(rig: Rig) -> None:
    searchable = [(s, o) for s in rig.router.specs() for o in s.options if o.autocomplete]
    assert searchable

    @hostile(max_examples=100)
    @given(st.sampled_from(searchable), st.one_of(st.sampled_from(FIXED_TEXT), TEXT, LONG_TEXT, CONTROL_TEXT))
    def example(found: tuple[CommandSpec, OptionSpec], typed: str) -> None:
        spec, option = found
        labels = rig.router.autocomplete(spec.group, spec.name, option.name, typed)
        assert len(labels) <= limits.AUTOCOMPLETE_CHOICES
        assert all(0 < len(label) <= limits.CHOICE_NAME for label in labels)

    example()
    assert rig.router.autocomplete("ketamine", "search", "nope", "x") == []
    assert rig.router.autocomplete("@everyone", "search", "query", "x") == []


# The console ---------------------------------------------------------------------------------------------


def test_hostile_console_lines_never_end_the_console(tmp_path: Path) -> None:
    async def scenario(lines: list[str]) -> str:
        app = await App.open(quiz_settings(tmp_path))
        out = io.StringIO()
        console = Console(file=out, width=100, highlight=False)
        publisher = ConsolePublisher(console)
        services = Services.create(app, QuickClock(), publisher)
        shell = ConsoleApp(services.router, console, publisher, stdin=io.StringIO())
        try:
            for line in lines:
                assert await shell.handle(line.strip()) in (True, False), line
            assert await shell.handle("/ketamine overview")
        finally:
            await services.stop()
            await app.close()
        return out.getvalue()

    fixed = ["²", "press ²", "pick " + "9" * 30, "/ketamine search a [/x]", "/ketamine search query:[/]", "[bold]"]
    line = st.one_of(
        st.sampled_from(fixed),
        st.builds("/ketamine {}".format, TEXT),
        st.builds("{} {}".format, st.sampled_from(["press", "pick", "a", "e", "/ketamine stats member:"]), TEXT),
        st.sampled_from(FIXED_TEXT).map(lambda t: t.replace("\n", " ")),
        TEXT.map(lambda t: t.replace("\n", " ")),
    )

    @hostile(max_examples=10)
    @given(st.lists(line, min_size=1, max_size=15))
    def example(lines: list[str]) -> None:
        output = asyncio.run(scenario(lines))
        assert "Traceback" not in output and "Ketamine: overview" in output

    example()


# Corrupted content files -------------------------------------------------------------------------------

REPLACEMENTS: st.SearchStrategy[object] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.text(SAFE_ALPHABET, max_size=40),
    LONG_TEXT,
    st.lists(st.text(SAFE_ALPHABET, max_size=8), max_size=3),
    st.dictionaries(st.text(SAFE_ALPHABET, max_size=8), st.integers(), max_size=2),
    st.sampled_from(["", " ", "@everyone", "ketamine", "mechanism", "overview", "both", "all", "quiz", "Nobody1999"]),
)


def paths_in(node: object, here: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    found = [here]
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths_in(value, (*here, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths_in(value, (*here, index))
    return found


@st.composite
def yaml_edit(draw: st.DrawFn, original: bytes) -> bytes:
    """Parse the file, change one node (delete, replace, duplicate, add an unknown key), write it back."""
    data = yaml.load(original, Loader=yaml.SafeLoader)  # not the cached safe_load: this copy is changed
    paths = [p for p in paths_in(data) if p]
    path = draw(st.sampled_from(paths))
    parent: Any = data
    for part in path[:-1]:
        parent = parent[part]
    last: Any = path[-1]
    how = draw(st.sampled_from(["delete", "replace", "replace", "duplicate", "unknown key"]))
    if how == "delete":
        del parent[last]
    elif how == "replace":
        parent[last] = draw(REPLACEMENTS)
    elif how == "duplicate" and isinstance(parent, list):
        parent.insert(last, parent[last])
    elif isinstance(parent, dict):
        parent[draw(st.sampled_from(["extra", "Title", "id ", "sources"]) | st.text(max_size=8))] = draw(REPLACEMENTS)
    else:
        parent[last] = {"unexpected": draw(REPLACEMENTS)}
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode()


@st.composite
def line_edit(draw: st.DrawFn, original: bytes) -> bytes:
    lines = original.split(b"\n")
    index = draw(st.integers(0, len(lines) - 1))
    how = draw(st.sampled_from(["delete", "duplicate", "indent", "dedent", "swap"]))
    if how == "delete":
        del lines[index]
    elif how == "duplicate":
        lines.insert(index, lines[index])
    elif how == "indent":
        lines[index] = b"   " + lines[index]
    elif how == "dedent":
        lines[index] = lines[index].lstrip()
    else:
        other = draw(st.integers(0, len(lines) - 1))
        lines[index], lines[other] = lines[other], lines[index]
    return b"\n".join(lines)


def corruptions(original: bytes) -> st.SearchStrategy[bytes]:
    size = len(original)
    return st.one_of(
        st.binary(max_size=512),
        st.integers(0, size).map(lambda i: original[:i]),
        st.builds(
            lambda i, junk: original[:i] + junk + original[i:], st.integers(0, size), st.binary(min_size=1, max_size=16)
        ),
        st.builds(
            lambda i, junk: original[:i] + junk + original[i + len(junk) :],
            st.integers(0, size),
            st.binary(min_size=1, max_size=16),
        ),
        yaml_edit(original),
        line_edit(original),
    )


@pytest.fixture
def parse_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parse each distinct file text once: only the corrupted file changes, and PyYAML is slow on the rest."""
    parse: Callable[[str], Any] = yaml.safe_load
    cache: dict[str, Any] = {}

    def cached(text: str) -> Any:
        if text not in cache:
            cache[text] = parse(text)
        return cache[text]

    monkeypatch.setattr(yaml, "safe_load", cached)


def test_a_key_with_a_line_break_is_still_one_line_per_problem(tmp_path: Path) -> None:
    """Found by the corruption test: a YAML key holding a line break made a problem span two lines."""
    content = copy_content(tmp_path)
    path = content / "ketamine" / "module.yaml"
    path.write_bytes(b"(:\n? '\n\n'")
    with pytest.raises(ContentError) as caught:
        ContentLibrary.load(content)
    lines = [str(p) for p in caught.value.problems]
    assert f"{path}: '\\n': unknown field (check its spelling)" in lines
    assert all("\n" not in line and line.startswith(str(path)) for line in lines)


@pytest.mark.usefixtures("parse_once")
def test_randomly_corrupted_content_loads_or_is_refused_naming_the_file(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    files = sorted(content.rglob("*.yaml"))
    originals = {path: path.read_bytes() for path in files}
    outcomes = {"loaded": 0, "refused": 0}

    @hostile(max_examples=200)
    @given(st.data())
    def example(data: st.DataObject) -> None:
        path = data.draw(st.sampled_from(files), label="file")
        corrupted = data.draw(corruptions(originals[path]), label="corrupted")
        path.write_bytes(corrupted)
        try:
            library = ContentLibrary.load(content)
        except ContentError as error:
            outcomes["refused"] += 1
            assert error.problems
            for problem in error.problems:
                line = str(problem)
                assert "\n" not in line, line
                assert str(path) in line or path.name in line, f"{line!r} does not name {path.name}"
            return
        finally:
            path.write_bytes(originals[path])
        outcomes["loaded"] += 1
        for module in library.modules.values():  # whatever loads renders within Discord's limits
            assert ContentService(library).autocomplete(module.id, "ket")
            assert_fits(render.index(module))
            for document in all_documents(module):
                for page in render.document_pages(module, document):
                    assert_fits(page)

    example()
    assert outcomes["loaded"] > 0 and outcomes["refused"] > 0, outcomes
