"""Reports on quiz questions and hidden questions (both engines): the report button under every reveal and its form,
hostile report text, the moderators' queue (Manage Server), resolve and dismiss with a note in the settings history,
questions hidden from a server's quizzes and questions of the day, and privacy (export, forget, server purge)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.core import moderation as rules
from bot.core.actions import ReportQuestion, SubmitReport, decode
from bot.core.content.models import Question
from bot.core.limits import CUSTOM_ID
from bot.core.reply import Reply
from bot.core.text import pieces
from bot.discord_app.markup import markup
from bot.services.bundle import Services
from bot.services.catalog import Caller
from tests.quizkit import FakeClock, RecordingPublisher

GUILD, OTHER, CHANNEL, STUDY = 10, 11, 20, 21
ADMIN = "ketamine-admin"


def member(user: int, guild: int = GUILD, channel: int = CHANNEL, manage: bool = False) -> Caller:
    return Caller(user_id=user, display_name=f"user{user}", guild_id=guild, channel_id=channel, can_manage_guild=manage)


MOD = member(90, manage=True)


def question(services: Services, question_id: str = "ov-01") -> Question:
    found = services.app.library.modules["ketamine"].question(question_id)
    assert found is not None
    return found


def form_of(services: Services, question_id: str = "ov-01") -> ReportQuestion:
    decoded = decode(rules.report_button("ketamine", question(services, question_id)).action)
    assert isinstance(decoded, ReportQuestion)
    return decoded


async def report(services: Services, caller: Caller, typed: str, question_id: str = "ov-01") -> Reply:
    """Press the report button of a question, then send its form with ``typed``."""
    opened = await services.router.press(caller, form_of(services, question_id).encode())
    assert opened.form is not None, opened.body
    return await services.router.submit(caller, opened.form.action, typed)


async def stored(services: Services) -> list[dict[str, object]]:
    rows = await services.app.db.fetch_all(
        "SELECT guild_id, question_id, content_version, user_id, body, status FROM question_reports ORDER BY id"
    )
    return [dict(r) for r in rows]


def words(reply: Reply) -> str:
    return markup(reply.body) + "".join(f.name + markup(f.value) for f in reply.fields)


async def test_every_reveal_has_the_report_button_and_it_opens_a_form(services: Services) -> None:
    publisher = services.quiz.publisher
    clock = services.quiz.clock
    assert isinstance(publisher, RecordingPublisher) and isinstance(clock, FakeClock)
    await services.router.run(member(1), "ketamine", "quiz start", {"questions": 1})
    await publisher.wait_until(lambda: bool(publisher.posts))
    message_id, posted = publisher.last_question()
    await clock.advance(60_000)
    await publisher.wait_until(lambda: any(mid == message_id for _, mid, _ in publisher.edits))
    reveal = next(r for _, mid, r in publisher.edits if mid == message_id)
    more, button = reveal.buttons
    assert more.label == "Read more"
    assert button.label == "Report a problem" and len("ksb:" + button.action) <= CUSTOM_ID
    action = decode(button.action)
    assert isinstance(action, ReportQuestion)
    asked = question(services, action.question_id)
    assert action.version == rules.question_version(asked) and f"Question {asked.id}" in reveal.footer
    opened = await services.router.press(member(2), button.action)
    assert opened.ephemeral and opened.form is not None and opened.form.max_length == rules.REPORT_CHARS
    thanks = await services.router.submit(member(2), opened.form.action, "The explanation contradicts the source.")
    assert thanks.ephemeral and not thanks.is_error and thanks.title == "Thanks for your report"
    assert await stored(services) == [
        {
            "guild_id": GUILD,
            "question_id": asked.id,
            "content_version": action.version,
            "user_id": 2,
            "body": "The explanation contradicts the source.",
            "status": "open",
        }
    ]
    assert posted.buttons[0].action.startswith("qa:"), "the question itself still has only its answer buttons"


@pytest.mark.parametrize(
    ("typed", "refusal"),
    [
        ("", "empty"),
        ("   \n\t\x00  ", "empty"),
        ("\u200b\u202e", "empty"),
        ("x" * 5000, "5000 characters"),
        ("y" * (rules.REPORT_CHARS + 1), f"{rules.REPORT_CHARS + 1} characters"),
    ],
)
async def test_an_empty_or_overlong_report_is_refused(services: Services, typed: str, refusal: str) -> None:
    reply = await report(services, member(3), typed)
    assert reply.is_error and reply.ephemeral and refusal in markup(reply.body)
    assert await stored(services) == []


async def test_hostile_report_text_is_stored_as_typed_without_controls_and_shown_inert(services: Services) -> None:
    hostile = "@everyone <@&123> <@456> **bold** `code` [link](https://x.y) # heading\x07\x1b[31m red\u202eevil"
    reply = await report(services, member(3), hostile + "\r\n\n\n\nsecond line")
    assert not reply.is_error, reply.body
    (row,) = await stored(services)
    body = str(row["body"])
    assert body.startswith("@everyone <@&123> <@456> **bold**") and body.endswith("\n\nsecond line")
    assert not any(ord(c) < 32 and c != "\n" for c in body) and "\u202e" not in body and "\x1b" not in body
    listed = await services.router.run(MOD, ADMIN, "reports list", {})
    shown = words(listed)
    assert "\\@everyone" in shown and "\\<\\@\\&123\\>" in shown and "\\*\\*bold\\*\\*" in shown
    assert "@everyone" not in shown.replace("\\@everyone", "")
    assert all(not isinstance(p, str) or "<@" not in p.replace("\\<\\@", "") for p in pieces(listed.body))


async def test_one_open_report_per_member_and_question_and_a_cap_per_member(services: Services) -> None:
    assert not (await report(services, member(4), "first")).is_error
    again = await report(services, member(4), "second")
    assert again.is_error and "already reported" in markup(again.body)
    assert not (await report(services, member(5), "someone else")).is_error
    assert not (await report(services, member(4, guild=OTHER), "another server")).is_error
    ids = [q.id for q in services.app.library.modules["ketamine"].questions]
    for question_id in ids[1 : rules.OPEN_REPORTS_PER_MEMBER]:
        assert not (await report(services, member(4), "wrong", question_id)).is_error
    capped = await report(services, member(4), "one too many", ids[rules.OPEN_REPORTS_PER_MEMBER])
    assert capped.is_error and "open reports in this server already" in markup(capped.body)


async def test_forms_and_buttons_cannot_stand_in_for_each_other(services: Services) -> None:
    submit = SubmitReport("ketamine", "ov-01", rules.question_version(question(services))).encode()
    pressed = await services.router.press(member(1), submit)
    assert pressed.is_error and "form" in markup(pressed.body)
    sent = await services.router.submit(member(1), form_of(services).encode(), "text")
    assert sent.is_error
    gone = await services.router.submit(member(1), SubmitReport("ketamine", "zz-99", "0" * 8).encode(), "text")
    assert gone.is_error and "no longer in the bot's content" in markup(gone.body)
    in_dm = await services.router.press(Caller(user_id=1), form_of(services).encode())
    assert in_dm.is_error and "server" in markup(in_dm.body)
    assert await stored(services) == []


async def test_moderators_list_resolve_and_dismiss_with_a_note_in_the_history(services: Services) -> None:
    for user in (1, 2, 3):
        await report(services, member(user), f"problem seen by {user}")
    await report(services, member(1), "another question", "ov-02")
    await report(services, member(1, guild=OTHER), "elsewhere", "ov-03")

    refused = await services.router.run(member(1), ADMIN, "reports list", {})
    assert refused.is_error and "Manage Server" in markup(refused.body)
    listed = await services.router.run(MOD, ADMIN, "reports list", {})
    assert listed.ephemeral and "4 open reports on 2 questions" in markup(listed.body)
    assert [f.name.split(" · ")[0] for f in listed.fields] == ["ov-01", "ov-02"], "most reported first"
    assert listed.fields[0].name.endswith("3 reports") and "ov-03" not in words(listed), "only this server's"

    one = await services.router.run(MOD, ADMIN, "reports list", {"question": "ov-01"})
    assert one.title == "Reports on ov-01" and markup(one.body).count("problem seen by") == 3
    report_ids = [int(r["id"]) for r in await services.app.db.fetch_all("SELECT id FROM question_reports ORDER BY id")]

    member_try = await services.router.run(member(1), ADMIN, "reports resolve", {"report": report_ids[0], "note": "x"})
    assert member_try.is_error
    resolved = await services.router.run(
        MOD, ADMIN, "reports resolve", {"report": report_ids[0], "note": "=HYPERLINK(fixed) in v2"}
    )
    assert resolved.title == f"Report {report_ids[0]} resolved" and "2 open reports left on ov-01" in resolved.body
    twice = await services.router.run(MOD, ADMIN, "reports dismiss", {"report": report_ids[0], "note": "again"})
    assert twice.is_error and "already resolved" in markup(twice.body)
    dismissed = await services.router.run(MOD, ADMIN, "reports dismiss", {"report": report_ids[1], "note": "not a bug"})
    assert dismissed.title == f"Report {report_ids[1]} dismissed"
    foreign = await services.router.run(MOD, ADMIN, "reports resolve", {"report": report_ids[4], "note": "mine?"})
    assert foreign.is_error and "no report" in markup(foreign.body), "another server's report is not reachable"
    blank = await services.router.run(MOD, ADMIN, "reports resolve", {"report": report_ids[2], "note": "\x00 \x07"})
    assert blank.is_error and "Give a note" in markup(blank.body)

    history = markup((await services.router.run(member(5), "ketamine", "settings history", {})).body)
    assert f"**Report {report_ids[1]} on ov-01**: open → **dismissed\\: not a bug**" in history
    assert f"**Report {report_ids[0]} on ov-01**: open → **resolved\\: =HYPERLINK\\(fixed\\) in v2**" in history
    assert "<@90>" in history, "the moderator is named, the reporters are not"
    assert "<@1>" not in history and "<@2>" not in history
    left = await services.router.run(MOD, ADMIN, "reports list", {})
    assert "2 open reports on 2 questions" in markup(left.body)


async def test_a_hidden_question_is_never_asked_in_that_server(services: Services) -> None:
    publisher = services.quiz.publisher
    assert isinstance(publisher, RecordingPublisher)
    bank = [q.id for q in services.app.library.modules["ketamine"].questions if q.topic == "infusion"]
    kept = bank[:2]
    for question_id in bank[2:]:
        hidden = await services.router.run(MOD, ADMIN, "question hide", {"question": question_id})
        assert hidden.title == f"Question {question_id} hidden", hidden.body
    again = await services.router.run(MOD, ADMIN, "question hide", {"question": bank[-1]})
    assert again.title.endswith("is already hidden")
    assert await services.moderation.hidden_questions(GUILD) == frozenset(bank[2:])
    assert await services.moderation.hidden_questions(OTHER) == frozenset()

    started = await services.router.run(member(1), "ketamine", "quiz start", {"questions": 50, "topic": "infusion"})
    assert started.body.startswith("2 questions"), started.body
    (session,) = await services.quiz.uow().quizzes.running()
    asked = {q.question_id for q in await services.quiz.uow().quizzes.asked_questions(session.id)}
    assert asked <= set(kept)
    elsewhere = await services.router.run(
        member(1, guild=OTHER, channel=30), "ketamine", "quiz start", {"questions": 50, "topic": "infusion"}
    )
    assert elsewhere.body.startswith(f"{len(bank)} questions"), "another server still has them all"

    shown = await services.router.run(MOD, ADMIN, "question show", {"question": bank[2]})
    assert shown.title == f"Question {bank[2]} shown again"
    assert await services.moderation.hidden_questions(GUILD, "ketamine") == frozenset(bank[3:])
    not_hidden = await services.router.run(MOD, ADMIN, "question show", {"question": bank[2]})
    assert not_hidden.title.endswith("is not hidden")
    unknown = await services.router.run(MOD, ADMIN, "question hide", {"question": "zz-99"})
    assert unknown.is_error
    history = markup((await services.router.run(member(5), "ketamine", "settings history", {})).body)
    assert f"**Question {bank[2]}**: hidden → **shown**" in history
    assert f"**Question {bank[-1]}**: shown → **hidden**" in history
    listed = await services.router.run(MOD, ADMIN, "reports list", {})
    assert listed.fields[-1].name == "Hidden in this server" and bank[3] in markup(listed.fields[-1].value)


def utc_ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


async def test_a_hidden_question_is_never_the_question_of_the_day(services: Services) -> None:
    clock = services.quiz.clock
    publisher = services.quiz.publisher
    assert isinstance(clock, FakeClock) and isinstance(publisher, RecordingPublisher)
    await clock.advance(utc_ms("2026-11-24T09:00:00") - clock.now_ms())
    study = member(90, channel=STUDY, manage=True)
    added = await services.router.run(
        study, ADMIN, "studygroup add", {"channel": STUDY, "topic": "infusion", "daily": "on"}
    )
    assert not added.is_error, added.body
    bank = [q.id for q in services.app.library.modules["ketamine"].questions if q.topic == "infusion"]
    for question_id in bank[1:]:
        await services.router.run(MOD, ADMIN, "question hide", {"question": question_id})
    seen = []
    for day in range(3):
        assert await services.daily.tick() == 1, f"day {day}"
        running = await services.quiz.uow().quizzes.running()
        asked = await services.quiz.uow().quizzes.asked_questions(running[-1].id)
        seen.append(asked[0].question_id)
        await clock.advance(24 * 3_600_000)
    assert seen == [bank[0]] * 3, "only the one question left, day after day"


async def test_privacy_export_forget_and_purge_cover_reports_and_name_sharing(services: Services) -> None:
    await report(services, member(6), "my words about ov-01")
    await report(services, member(6, guild=OTHER), "elsewhere", "ov-02")
    await report(services, member(7), "someone else's words")
    await services.router.run(member(6), "ketamine", "privacy share-name", {"state": "on"})
    await services.router.run(MOD, ADMIN, "question hide", {"question": "ov-05"})
    mine = [r for r in await stored(services) if r["user_id"] == 6]
    first_id = int((await services.app.db.fetch_all("SELECT id FROM question_reports ORDER BY id"))[0]["id"])
    await services.router.run(MOD, ADMIN, "reports resolve", {"report": first_id, "note": "fixed"})

    export = (await services.router.run(Caller(user_id=6), "ketamine", "privacy export", {})).attachment
    assert export is not None
    data = json.loads(export.text)
    assert [r["body"] for r in data["question_reports"]] == [r["body"] for r in mine]
    assert data["question_reports"][0]["status"] == "resolved" and "user_id" not in data["question_reports"][0]
    assert [r["guild_id"] for r in data["name_shared_in"]] == [GUILD]

    ask = await services.router.run(member(6), "ketamine", "privacy forget", {})
    assert "reports" in markup(ask.body)
    await services.router.press(member(6), ask.buttons[0].action)
    assert [r["user_id"] for r in await stored(services)] == [7], "the member's reports are deleted, not kept"
    rows = await services.app.db.fetch_all("SELECT user_id FROM name_sharing")
    assert list(rows) == []
    history = markup((await services.router.run(member(5), "ketamine", "settings history", {})).body)
    assert f"Report {first_id} on ov-01**: open → **resolved\\: fixed" in history, "the moderators' record stays"
    assert "my words" not in history

    await services.privacy.server_left(GUILD)
    clock = services.quiz.clock
    assert isinstance(clock, FakeClock)
    await clock.advance(31 * 86_400_000)
    assert await services.privacy.purge() == [GUILD]
    for table in ("question_reports", "hidden_questions", "name_sharing"):
        left = await services.app.db.fetch_all(f"SELECT guild_id FROM {table} WHERE guild_id = ?", (GUILD,))
        assert list(left) == [], table


def test_report_rules_are_pure_and_reversible() -> None:
    assert rules.history_label("question:ov-01") == "Question ov-01"
    assert rules.history_label("report:17:ov-01") == "Report 17 on ov-01"
    assert rules.history_label("seconds") is None
    assert rules.clean_report(" a\x00b \r\n\r\n\r\n\r\nc ") == "a b\n\nc"
    with pytest.raises(Exception, match="1001 characters"):
        rules.clean_report("z" * 1001)
    assert rules.clean_note("fixed\nin\tv2") == "fixed in v2"
    longest = ReportQuestion("m" * 31, "q" * 40, "0123abcd")
    assert decode(longest.encode()) == longest and len("ksb:" + longest.encode()) <= CUSTOM_ID
