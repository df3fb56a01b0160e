"""Reports, hidden questions and the tutor export through the real discord.py client and the fake Discord: the
report button opens a modal (callback type 9) whose submission (interaction type 5) is answered even after a restart;
hostile modal text is refused or stored inert and never pings; a hidden question is never asked in its server (quiz
and question of the day); the export names nobody who did not opt in."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.botkit import CHANNEL_ID, GUILD_ID
from tests.botkit.inprocess import running_bot
from tests.e2e.quizsteps import answer_ids, embed, past_deadline, questions, quiz_settings, titled
from tests.fakediscord import FakeDiscord
from tests.quizkit import FakeClock

EPHEMERAL = 64
MANAGE_GUILD = 0x20
CB_MODAL = 9
STUDY = CHANNEL_ID + 1
REPORT_PREFIX = "ksb:rq:"


@pytest.fixture
def fake(fake_discord: FakeDiscord) -> FakeDiscord:
    fake_discord.add_guild(GUILD_ID, channels=[CHANNEL_ID, STUDY])
    return fake_discord


async def run(fake: FakeDiscord, name: str, user: int = 2, manage: bool = False, **options: Any) -> dict[str, Any]:
    member = fake.make_member(user, "mod" if manage else f"member{user}", permissions=MANAGE_GUILD if manage else 0)
    handle = await fake.invoke(name, options or None, guild_id=GUILD_ID, channel_id=CHANNEL_ID, member=member)
    response: dict[str, Any] = await handle.response(5)
    return response


def text_of(response: dict[str, Any]) -> str:
    found = embed(response["data"])
    return str(found.get("description", "")) + "".join(f["name"] + f["value"] for f in found.get("fields", []))


def custom_ids(message: dict[str, Any]) -> list[str]:
    return [c["custom_id"] for row in message.get("components", []) for c in row.get("components", [])]


async def revealed_question(fake: FakeDiscord, clock: FakeClock, channel: int = CHANNEL_ID) -> dict[str, Any]:
    """Start a one-question quiz, answer it, let it run out: the question message, now its reveal."""
    await run(fake, "ketamine quiz start", user=1, questions=1)
    await fake.wait_for(lambda: len(questions(fake, channel)) == 1, 10, "the question")
    (asked,) = questions(fake, channel)
    await (await fake.click(asked, answer_ids(asked)[0], member=fake.make_member(1, "member1"))).response(5)
    await past_deadline(fake, clock, lambda: bool(titled(fake, "the answer is")), "the reveal")
    return fake.messages[int(asked["id"])]


async def open_report_form(fake: FakeDiscord, message: dict[str, Any], user: int) -> dict[str, Any]:
    (button,) = [i for i in custom_ids(message) if i.startswith(REPORT_PREFIX)]
    opened = await (await fake.click(message, button, member=fake.make_member(user, f"member{user}"))).response(5)
    assert opened["type"] == CB_MODAL, opened
    modal: dict[str, Any] = opened["data"]
    return modal


async def send_form(
    fake: FakeDiscord, modal: dict[str, Any], message: dict[str, Any], user: int, typed: str
) -> dict[str, Any]:
    (row,) = modal["components"]
    field = row["components"][0]["custom_id"]
    handle = await fake.submit_modal(
        modal["custom_id"], {field: typed}, message=message, member=fake.make_member(user, f"member{user}")
    )
    response: dict[str, Any] = await handle.response(5)
    return response


async def test_a_report_through_a_modal_survives_a_restart_and_is_resolved(
    fake: FakeDiscord, tmp_path: Path, database_url: str | None
) -> None:
    clock = FakeClock()
    settings = quiz_settings(tmp_path, reveal=0, database_url=database_url)
    async with running_bot(fake, settings, clock=clock):
        reveal = await revealed_question(fake, clock)
        assert answer_ids(reveal) == [] and "Question " in embed(reveal)["footer"]["text"]
        modal = await open_report_form(fake, reveal, user=5)
        assert modal["title"] == "Report a problem" and modal["custom_id"].startswith("ksb:rs:")
        field = modal["components"][0]["components"][0]
        assert (field["style"], field["min_length"], field["max_length"]) == (2, 1, 1000)
        thanks = await send_form(fake, modal, reveal, 5, "The marked answer disagrees with the cited label.")
        assert thanks["data"]["flags"] & EPHEMERAL and embed(thanks["data"])["title"] == "Thanks for your report"
        later = await open_report_form(fake, reveal, user=6)  # opened before the restart, sent after it
    async with running_bot(fake, settings, clock=clock):
        after = await send_form(fake, later, reveal, 6, "Typo in choice B.")
        assert embed(after["data"])["title"] == "Thanks for your report", "a modal needs no live object to be sent"

        refused = await run(fake, "ketamine-admin reports list", user=5)
        assert "Manage Server" in text_of(refused)
        listed = await run(fake, "ketamine-admin reports list", manage=True)
        shown = text_of(listed)
        assert "2 open reports on 1 question" in shown and "Typo in choice B." in shown
        assert "member5" not in shown and "<@5>" not in shown, "moderators see what was written, not who wrote it"
        first = shown.split("**", 2)[1]
        done = await run(fake, "ketamine-admin reports resolve", manage=True, report=int(first), note="Label re-read")
        assert embed(done["data"])["title"] == f"Report {first} resolved"
        history = text_of(await run(fake, "ketamine settings history"))
        assert f"Report {first} on" in history and "resolved\\: Label re\\-read" in history
    assert fake.errors == []
    assert fake.allowed_mentions and all(m == {"parse": []} for m in fake.allowed_mentions)


HOSTILE = [
    ("", "empty"),
    ("  \n \x00 ", "empty"),
    ("x" * 5000, "5000 characters"),
    ("@everyone @here look", None),
    ("<@&4242> <@1> <@!2> <#4343> role and user pings", None),
    ("**bold** __under__ ~~gone~~ `tick` ||spoiler|| > quote\n# Heading\n[link](https://example.com)", None),
    ("\x07bell\x1b[31mred\u202eevil\u200b", None),
]


async def test_hostile_modal_text_is_refused_or_stored_inert_and_never_pings(fake: FakeDiscord, tmp_path: Path) -> None:
    clock = FakeClock()
    async with running_bot(fake, quiz_settings(tmp_path, reveal=0), clock=clock) as bot:
        reveal = await revealed_question(fake, clock)
        for user, (typed, refusal) in enumerate(HOSTILE, start=10):
            modal = await open_report_form(fake, reveal, user)
            answer = await send_form(fake, modal, reveal, user, typed)
            assert answer["data"]["flags"] & EPHEMERAL
            said = embed(answer["data"])
            if refusal is None:
                assert said["title"] == "Thanks for your report", said
            else:
                assert refusal in said["description"], said
        rows = await bot.app.db.fetch_all("SELECT body FROM question_reports ORDER BY id")
        bodies = [str(r["body"]) for r in rows]
        assert len(bodies) == 4 and bodies[0] == "@everyone @here look"
        assert bodies[3] == "bell [31mredevil", "control and invisible characters are gone"
        listed = text_of(await run(fake, "ketamine-admin reports list", manage=True))
        one = text_of(await run(fake, "ketamine-admin reports list", manage=True, question=_question(fake)))
        for shown in (listed, one):
            assert "@everyone" not in shown.replace("\\@everyone", "")
            assert "<@" not in shown.replace("\\<\\@", "") and "<#" not in shown.replace("\\<\\#", "")
            assert "**bold**" not in shown and "\\*\\*bold\\*\\*" in shown
    assert fake.errors == []
    assert fake.allowed_mentions and all(m == {"parse": []} for m in fake.allowed_mentions), fake.allowed_mentions


def _question(fake: FakeDiscord) -> str:
    """The id of the one revealed question (its footer says "Question <id>")."""
    (reveal,) = titled(fake, "the answer is")
    footer = embed(reveal)["footer"]["text"]
    return footer.split("Question ", 1)[1].split(" ", 1)[0]


def utc_ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


async def test_a_hidden_question_is_never_asked_in_that_server(
    fake: FakeDiscord, tmp_path: Path, database_url: str | None
) -> None:
    """All but one infusion question hidden: a quiz on the topic and the study channel's question of the day ask
    that one only."""
    clock = FakeClock(utc_ms("2026-11-24T08:59:30"))
    settings = quiz_settings(tmp_path, seconds=30, reveal=0, database_url=database_url)
    async with running_bot(fake, settings, clock=clock) as bot:
        bank = [q.id for q in bot.app.library.modules["ketamine"].questions if q.topic == "infusion"]
        kept, hidden = bank[0], bank[1:]
        for question_id in hidden:
            done = await run(fake, "ketamine-admin question hide", manage=True, question=question_id)
            assert embed(done["data"])["title"] == f"Question {question_id} hidden"
        started = await run(fake, "ketamine quiz start", user=1, questions=5, topic="infusion")
        assert embed(started["data"])["description"].startswith("1 question"), started
        await fake.wait_for(lambda: len(questions(fake)) == 1, 10, "the question")
        await run(fake, "ketamine quiz stop", user=1)

        added = await run(
            fake, "ketamine-admin studygroup add", manage=True, channel=STUDY, topic="infusion", daily="on"
        )
        assert embed(added["data"])["title"] == "Study group saved"
        await clock.advance(60_000)  # 09:00 UTC: the question of the day
        assert bot.services is not None
        await bot.services.daily.tick()  # the scheduler's tick may come first; a day is posted once either way
        await fake.wait_for(lambda: len(questions(fake, STUDY)) == 1, 10, "the question of the day")
        asked = await bot.app.db.fetch_all("SELECT question_id FROM quiz_questions ORDER BY session_id, position")
    assert {str(r["question_id"]) for r in asked} == {kept}
    assert fake.errors == []


async def test_the_tutor_export_names_nobody_who_did_not_opt_in(fake: FakeDiscord, tmp_path: Path) -> None:
    clock = FakeClock()
    async with running_bot(fake, quiz_settings(tmp_path, reveal=0), clock=clock):
        await run(fake, "ketamine quiz start", user=1, questions=1)
        await fake.wait_for(lambda: len(questions(fake)) == 1, 10, "the question")
        (asked,) = questions(fake)
        names = {1: "Zed Optin", 2: '=HYPERLINK("x")', 3: "Quiet Qwerty"}
        for user, name in names.items():
            ack = await fake.click(asked, answer_ids(asked)[0], member=fake.make_member(user, name))
            await ack.response(5)
        for user in (1, 2):
            member = fake.make_member(user, names[user])
            handle = await fake.invoke(
                "ketamine privacy share-name", {"state": "on"}, guild_id=GUILD_ID, channel_id=CHANNEL_ID, member=member
            )
            assert "**On** since" in text_of(await handle.response(5))
        handle = await fake.invoke(
            "ketamine privacy share-name",
            {"state": "off"},
            guild_id=GUILD_ID,
            channel_id=CHANNEL_ID,
            member=fake.make_member(2, names[2]),
        )
        await handle.response(5)
        await past_deadline(fake, clock, lambda: bool(titled(fake, "the answer is")), "the reveal")

        refused = await run(fake, "ketamine-admin export", user=3)
        assert "Manage Server" in text_of(refused) and not refused["data"].get("attachments")
        member = fake.make_member(9, "mod", permissions=MANAGE_GUILD)
        handle = await fake.invoke("ketamine-admin export", guild_id=GUILD_ID, channel_id=CHANNEL_ID, member=member)
        response = await handle.response(5)
        assert response["data"]["flags"] & EPHEMERAL
        assert handle.message is not None
        (attachment,) = handle.message["attachments"]
        document = fake.attachments[int(attachment["id"])].decode("utf-8")
    table = list(csv.DictReader(io.StringIO(document)))
    assert {r["member"] for r in table if r["row"] == "member"} == {"Zed Optin"}
    assert "HYPERLINK" not in document and "Quiet Qwerty" not in document
    question = next(r for r in table if r["row"] == "question" and r["answers"] != "0")
    assert (question["answers"], question["members"]) == ("3", "3")
    assert fake.errors == []
    assert all(m == {"parse": []} for m in fake.allowed_mentions)


def test_the_fake_refuses_a_modal_discord_would_refuse() -> None:
    from tests.fakediscord.validation import check_modal

    field = {"type": 4, "custom_id": "text", "label": "What is wrong?", "style": 2, "min_length": 1, "max_length": 1000}
    good = {"title": "Report a problem", "custom_id": "ksb:rs:x", "components": [{"type": 1, "components": [field]}]}
    assert check_modal(good) == []
    bad_inputs = [
        {**field, "label": "L" * 46},
        {**field, "max_length": 5000},
        {**field, "style": 3},
        {**field, "custom_id": ""},
        {**field, "min_length": 10, "max_length": 5},
    ]
    for bad in bad_inputs:
        assert check_modal({**good, "components": [{"type": 1, "components": [bad]}]}), bad
    assert check_modal({**good, "components": []}) and check_modal({**good, "title": "T" * 46})
