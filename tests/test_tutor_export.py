"""The tutor export (both engines): a CSV per topic and per question with answers, accuracy and reports, members
counted and never named unless they chose to be (``privacy share-name``), every text cell safe to open in a
spreadsheet."""

from __future__ import annotations

import csv
import io

import pytest

from bot.core import moderation as rules
from bot.core.actions import ReportQuestion, decode
from bot.core.tutor_export import cell
from bot.discord_app.markup import markup
from bot.services.bundle import Services
from bot.services.catalog import Caller
from tests.quizkit import FakeClock, RecordingPublisher

GUILD, OTHER, CHANNEL = 10, 11, 20
MOD = Caller(user_id=90, display_name="mod", guild_id=GUILD, channel_id=CHANNEL, can_manage_guild=True)


def member(user: int, name: str, guild: int = GUILD, channel: int = CHANNEL) -> Caller:
    return Caller(user_id=user, display_name=name, guild_id=guild, channel_id=channel)


async def play(services: Services, players: list[tuple[Caller, int]], channel: int = CHANNEL) -> str:
    """One one-question quiz: each player clicks their choice; the question runs out. Returns its id."""
    publisher, clock = services.quiz.publisher, services.quiz.clock
    assert isinstance(publisher, RecordingPublisher) and isinstance(clock, FakeClock)
    before = len(publisher.posts)
    reply = await services.router.run(players[0][0], "ketamine", "quiz start", {"questions": 1})
    assert not reply.is_error, reply.body
    await publisher.wait_until(lambda: len(publisher.posts) > before)
    message_id, question = publisher.last_question()
    for caller, choice in players:
        ack = await services.router.press(caller, question.buttons[choice].action)
        assert ack.title.startswith("Locked in"), ack.body
    await clock.advance(60_000)
    await publisher.wait_until(lambda: any(m == message_id for _, m, _ in publisher.edits))
    reveal = next(r for _, m, r in publisher.edits if m == message_id)
    action = decode(reveal.buttons[-1].action)  # after Read more
    assert isinstance(action, ReportQuestion)
    for _ in range(50):  # the pause after the reveal runs on the clock too
        if not await services.quiz.uow().quizzes.running_in_channel(channel):
            break
        await clock.advance(10_000)
    assert await services.quiz.uow().quizzes.running_in_channel(channel) is None
    return action.question_id


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def export(services: Services) -> list[dict[str, str]]:
    reply = await services.router.run(MOD, "ketamine-admin", "export", {})
    assert reply.ephemeral and not reply.is_error and reply.attachment is not None, reply.body
    assert reply.attachment.filename.endswith(".csv")
    return rows(reply.attachment.text)


async def test_export_counts_members_and_names_only_those_who_chose_to_be(services: Services) -> None:
    amy, bob, eve = member(1, "=cmd|' /C calc'!A0"), member(2, "bob Quietzy"), member(3, "@eve Qxv")
    right = {}
    question_id = await play(services, [(amy, 0), (bob, 1), (eve, 2)])
    module = services.app.library.modules["ketamine"]
    asked = module.question(question_id)
    assert asked is not None
    right[question_id] = asked.answer
    await play(services, [(member(4, "outsider", guild=OTHER, channel=30), 0)], channel=30)

    named = await services.router.run(amy, "ketamine", "privacy share-name", {"state": "on"})
    assert named.title == "Name in the tutor export: on" and "**On** since" in markup(named.body)
    await services.router.run(eve, "ketamine", "privacy share-name", {"state": "on"})
    await services.router.run(eve, "ketamine", "privacy share-name", {"state": "off"})  # changed her mind
    shown = await services.router.run(eve, "ketamine", "privacy share-name", {})
    assert shown.title == "Your name in the tutor export" and "**Off**" in markup(shown.body)

    table = await export(services)
    text = "\n".join(",".join(r.values()) for r in table)
    assert "Quietzy" not in text and "Qxv" not in text and "outsider" not in text
    (line,) = [r for r in table if r["question_id"] == question_id]
    correct = sum(1 for choice in (0, 1, 2) if choice == asked.answer)
    assert (line["answers"], line["correct"], line["members"]) == ("3", str(correct), "3")
    assert line["accuracy"] == f"{correct / 3:.3f}" and line["hidden_here"] == "no"
    topic = next(r for r in table if r["row"] == "topic" and r["topic"] == asked.topic)
    assert (topic["answers"], topic["members"]) == ("3", "3")
    members = [r for r in table if r["row"] == "member"]
    assert {r["member"] for r in members} == {"'=cmd|' /C calc'!A0"}, "amy alone, her name made inert"
    assert [r["topic"] for r in members] == [asked.topic, "all"]
    assert len({r["question_id"] for r in table if r["row"] == "question"}) == len(module.questions)


async def test_export_reports_hidden_questions_and_notes_are_safe(services: Services) -> None:
    module = services.app.library.modules["ketamine"]
    first = module.questions[0]
    action = rules.report_button("ketamine", first).action
    form = (await services.router.press(member(5, "reporter"), action)).form
    assert form is not None
    await services.router.submit(member(5, "reporter"), form.action, "wrong answer")
    await services.router.submit(member(6, "reporter2"), form.action, "still wrong")
    report_id = int((await services.app.db.fetch_all("SELECT id FROM question_reports ORDER BY id"))[0]["id"])
    await services.router.run(MOD, "ketamine-admin", "reports resolve", {"report": report_id, "note": "+1 fixed"})
    await services.router.run(MOD, "ketamine-admin", "question hide", {"question": first.id})
    (line,) = [r for r in await export(services) if r["question_id"] == first.id]
    assert (line["reports_open"], line["reports_resolved"], line["reports_dismissed"]) == ("1", "1", "0")
    assert line["last_note"] == "'+1 fixed" and line["hidden_here"] == "yes"


async def test_only_moderators_export_and_only_in_a_server(services: Services) -> None:
    refused = await services.router.run(member(1, "amy"), "ketamine-admin", "export", {})
    assert refused.is_error and "Manage Server" in markup(refused.body) and refused.attachment is None
    in_dm = await services.router.run(Caller(user_id=1), "ketamine", "privacy share-name", {"state": "on"})
    assert in_dm.is_error


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-2", "'-2"),
        ("@cmd", "'@cmd"),
        ("\t=1", "'=1"),
        ("＝1", "'＝1"),
        ("a\nb\x00c", "a b c"),
        ("plain name", "plain name"),
        ("", ""),
    ],
)
def test_a_text_cell_never_starts_a_formula(value: str, safe: str) -> None:
    assert cell(value) == safe
