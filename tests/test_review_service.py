"""Personal review through its use cases on SQLite and PostgreSQL, with a hand-moved clock: FSRS scheduling, due
order, the 20-card cap, the topic filter, practice kept off the leaderboards, clicks repeated or stale, cards
updated from quiz and question-of-the-day answers (the Easy rule included) exactly once, stats."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.reply import Reply
from bot.core.review.scheduling import DAY_MS, CardState, Rating, ReviewCard, ReviewSource
from bot.core.text import Small, Text, pieces
from bot.services.bundle import Services
from bot.services.catalog import Caller
from tests.helpers import make_settings
from tests.quizkit import FakeClock, RecordingPublisher
from tests.servicekit import DatabaseDouble, close_services, open_services

MINUTE = 60_000
ANA = Caller(user_id=1, display_name="ana", guild_id=10, channel_id=20)
BO = Caller(user_id=2, display_name="bo", guild_id=10, channel_id=20)
CY = Caller(user_id=3, display_name="cy", guild_id=10, channel_id=20)
ADMIN = Caller(user_id=9, display_name="admin", guild_id=10, channel_id=20, can_manage_guild=True)


def clock_of(services: Services) -> FakeClock:
    clock = services.review.clock
    assert isinstance(clock, FakeClock)
    return clock


def words(reply: Reply) -> str:
    """Everything a reply says, tokens left out: its title, body and fields."""
    parts = [reply.title, reply.body, *(f.name for f in reply.fields), *(f.value for f in reply.fields)]
    return " ".join(str(p) for part in parts for p in pieces(part) if isinstance(p, str))


async def review(services: Services, caller: Caller = ANA, **options: object) -> Reply:
    reply = await services.router.run(caller, "ketamine", "review", options)
    assert not reply.is_error, reply.body
    return reply


async def press(services: Services, reply: Reply, label: str, caller: Caller = ANA) -> Reply:
    button = next(b for b in reply.buttons if b.label == label or b.label.startswith(label + " "))
    return await services.router.press(caller, button.action)


async def answer_and_rate(services: Services, card: Reply, rating: Rating, choice: str = "A") -> Reply:
    answered = await press(services, card, choice)
    assert not answered.is_error and "How well did you know it?" in str(answered.body), answered.body
    return await press(services, answered, rating.label)


async def practise(services: Services, ratings: list[Rating], topic: str | None = None) -> Reply:
    """Start practice from "nothing to review" and rate its cards in turn; the reply after the last rating."""
    offer = await (review(services) if topic is None else review(services, topic=topic))
    assert offer.title == "Nothing to review", offer.title
    reply = await press(services, offer, "Practise")
    for rating in ratings:
        reply = await answer_and_rate(services, reply, rating)
    return reply


async def cards(services: Services, user: int = 1) -> dict[str, ReviewCard]:
    return {c.question_id: c for c in await services.review.repo.cards(user, "ketamine")}


async def test_again_comes_back_sooner_than_good_and_easy_later(services: Services) -> None:
    clock = clock_of(services)
    start = clock.now_ms()
    await practise(services, [Rating.AGAIN, Rating.GOOD, Rating.EASY])
    first, second, third = (await services.review.repo.logs(1))[:3]
    deck = await cards(services)
    again, good, easy = deck[first.question_id], deck[second.question_id], deck[third.question_id]
    assert (again.due_ms - start, good.due_ms - start) == (MINUTE, 10 * MINUTE)
    assert easy.due_ms - start > DAY_MS and easy.state is CardState.REVIEW
    assert [log.source for log in (first, second, third)] == [ReviewSource.PRACTICE] * 3

    await clock.advance(2 * MINUTE)
    due = await review(services)
    assert due.title == "Review 1/1" and "1 card" in words(due)
    session = await services.review.repo.session(int(due.buttons[0].action.split(":")[1]))
    assert session is not None and [c.question_id for c in session.cards] == [first.question_id]
    await clock.advance(10 * MINUTE)
    done = await answer_and_rate(services, due, Rating.GOOD)
    assert done.title == "Review finished" and "1 more card is due now" in words(done), "the Good one"
    later = await review(services)
    session = await services.review.repo.session(int(later.buttons[0].action.split(":")[1]))
    assert session is not None and [c.question_id for c in session.cards] == [second.question_id]


async def test_due_cards_come_oldest_first_twenty_at_a_time_and_by_topic(services: Services) -> None:
    clock = clock_of(services)
    await practise(services, [Rating.GOOD] * 20)  # due in 10 minutes
    await practise(services, [Rating.HARD, Rating.AGAIN] + [Rating.GOOD] * 3)  # due in 5.5 and 1 minutes
    logs = await services.review.repo.logs(1)
    assert len(logs) == 25
    await clock.advance(11 * MINUTE)

    started = await review(services)
    assert started.title == "Review 1/20" and "25 cards" in words(started)
    session = await services.review.repo.session(int(started.buttons[0].action.split(":")[1]))
    assert session is not None
    order = [c.question_id for c in session.cards]
    assert order[:2] == [logs[21].question_id, logs[20].question_id], "Again (1 min) before Hard (5.5 min)"
    assert order[2:] == [log.question_id for log in logs[:18]], "then the Good ones, in the order they fell due"
    moved_on = await answer_and_rate(services, started, Rating.GOOD)
    resumed = await review(services)
    assert resumed.title == moved_on.title == "Review 2/20", "an open review goes on where it is"
    assert resumed.buttons == moved_on.buttons and "24 cards" in words(resumed)

    deck = await cards(services)
    topic = services.app.library.modules["ketamine"].question(order[5])
    assert topic is not None
    on_topic = [
        q
        for q in deck
        if (found := services.app.library.modules["ketamine"].question(q)) and found.topic == topic.topic
    ]
    narrowed = await review(services, topic=topic.topic)
    assert f"{len(set(on_topic) - {order[0]})} card" in words(narrowed), "the card just rated is not due"
    narrow = await services.review.repo.session(int(narrowed.buttons[0].action.split(":")[1]))
    assert narrow is not None and {c.question_id for c in narrow.cards} == set(on_topic) - {order[0]}
    replaced = await press(services, resumed, "A")
    assert replaced.is_error and "replaced by a newer one" in str(replaced.body), "another topic, a new session"


async def test_a_whole_review_reschedules_each_card_and_says_when_the_next_is_due(services: Services) -> None:
    clock = clock_of(services)
    await practise(services, [Rating.GOOD, Rating.GOOD])
    await clock.advance(11 * MINUTE)
    reply = await review(services)
    reply = await answer_and_rate(services, reply, Rating.GOOD)
    assert reply.title == "Review 2/2"
    done = await answer_and_rate(services, reply, Rating.EASY)
    assert done.title == "Review finished" and "Good 1" in words(done) and "Easy 1" in words(done)
    assert done.ephemeral and not done.buttons
    assert all(c.state is CardState.REVIEW and c.reps == 2 for c in (await cards(services)).values())
    nothing = await review(services)
    assert nothing.title == "Nothing to review" and "next card is due" in words(nothing)
    assert [b.label for b in nothing.buttons] == ["Practise new questions"]


async def test_practice_never_touches_leaderboards_or_quiz_stats(services: Services) -> None:
    await practise(services, [Rating.EASY, Rating.AGAIN, Rating.GOOD], topic="risks")
    assert all(q.startswith("risk") for q in await cards(services))
    assert await services.app.db.fetch_all("SELECT * FROM quiz_answers") == []
    board = await services.router.run(ANA, "ketamine", "leaderboard", {})
    assert "No answers yet." in str(board.fields[0].value) and "You: no answers yet" in str(board.fields[0].value)
    stats = await services.router.run(ANA, "ketamine", "stats", {})
    assert "No quiz answers in this server yet." in str(stats.body)
    assert "Cards due now" in [f.name for f in stats.fields]


async def test_repeated_stale_and_foreign_clicks(services: Services) -> None:
    offer = await review(services)
    card = await press(services, offer, "Practise")
    answered = await press(services, card, "B")
    assert await press(services, card, "C") == answered, "the first pick stands; the card is shown as it is"
    labels = [b.label for b in answered.buttons]
    assert labels == ["Again · 1 min", "Hard · 6 min", "Good · 10 min", "Easy · 8 d", "Read more", "Report a problem"]
    assert [b.style for b in answered.buttons][:4] == ["danger", "secondary", "secondary", "secondary"], (
        "a wrong pick suggests Again"
    )
    next_card = await press(services, answered, "Good")
    assert next_card.title == "Practice 2/20"
    assert await press(services, answered, "Easy") == next_card, "a rating clicked twice counts once"
    assert len(await services.review.repo.logs(1)) == 1

    foreign = await press(services, next_card, "A", caller=BO)
    assert foreign.is_error and "someone else's review" in str(foreign.body)
    newer = await press(services, offer, "Practise")  # a new session replaces the open one
    assert newer.title == "Practice 1/20"
    replaced = await press(services, next_card, "A")
    assert replaced.is_error and "replaced by a newer one" in str(replaced.body)
    forged = await services.router.press(ANA, "rp:999999:0:0")
    assert forged.is_error and "over" in str(forged.body)


async def test_read_more_opens_the_questions_section_beside_the_card(services: Services) -> None:
    card = await press(services, await review(services), "Practise")
    answered = await press(services, card, "A")
    more = await press(services, answered, "Read more")
    assert more.ephemeral and more.separate and not more.is_error
    assert any(f.name.startswith("» ") for f in more.fields), "the question's section is marked on its page"


# Quiz answers -> cards ----------------------------------------------------------------------------------


async def run_one_question(services: Services, answers: list[tuple[Caller, bool, int]]) -> str:
    """A one-question quiz (20 s): each (member, right?, ms after it opened) answers; then it is revealed and the
    cards updated. Returns the question's id."""
    clock = clock_of(services)
    publisher = services.quiz.publisher
    assert isinstance(publisher, RecordingPublisher)
    started = await services.router.run(ANA, "ketamine", "quiz start", {"questions": 1})
    assert not started.is_error, started.body
    await publisher.wait_until(lambda: any(r.title.startswith("Question 1/") for _, _, r in publisher.posts))
    _, question = publisher.last_question()
    session_id = int(question.buttons[0].action.split(":")[1])
    quiz = await services.quiz.uow().quizzes.load(session_id)
    assert quiz is not None
    asked = quiz.questions[0]
    content = services.app.library.modules["ketamine"].question(asked.question_id)
    assert content is not None and asked.asked_ms is not None
    for caller, right, after_ms in sorted(answers, key=lambda a: a[2]):
        await clock.advance(asked.asked_ms + after_ms - clock.now_ms())
        choice = content.answer if right else (content.answer + 1) % len(content.choices)
        ack = await services.router.press(caller, question.buttons[choice].action)
        assert ack.title.startswith("Locked in"), ack.body
    await clock.advance((asked.deadline_ms or 0) - clock.now_ms())
    await publisher.wait_until(lambda: any("the answer is" in r.title for _, _, r in publisher.edits))
    await services.review.quiz_cards.settle()
    return asked.question_id


async def test_quiz_answers_update_cards_at_the_reveal_easy_when_fast(services: Services) -> None:
    question = await run_one_question(services, [(ANA, True, 4_000), (BO, True, 6_000), (CY, False, 1_000)])
    by_member = {user: (await services.review.repo.logs(user)) for user in (1, 2, 3)}
    assert [(log.question_id, log.rating, log.source) for log in by_member[1]] == [
        (question, Rating.EASY, ReviewSource.QUIZ)
    ], "right within the first quarter of 20 s"
    assert [log.rating for log in by_member[2]] == [Rating.GOOD]
    assert [log.rating for log in by_member[3]] == [Rating.AGAIN]
    answered = {r["user_id"]: r["answered_ms"] for r in await services.app.db.fetch_all("SELECT * FROM quiz_answers")}
    assert all(by_member[u][0].reviewed_ms == answered[u] for u in (1, 2, 3)), "each at its own answer's time"
    ana, bo, cy = [(await cards(services, u))[question] for u in (1, 2, 3)]
    assert cy.due_ms < bo.due_ms < ana.due_ms

    await services.review.upkeep()  # pokes the job again: nothing is applied twice
    await services.review.quiz_cards.settle()
    assert [len(await services.review.repo.logs(u)) for u in (1, 2, 3)] == [1, 1, 1]
    due = await review(services, caller=CY)
    assert due.title == "Nothing to review", "Again is due a minute after the answer"
    await clock_of(services).advance(MINUTE)
    assert (await review(services, caller=CY)).title == "Review 1/1"


async def test_a_quiz_reveal_reads_more_in_its_section(services: Services) -> None:
    await run_one_question(services, [])
    publisher = services.quiz.publisher
    assert isinstance(publisher, RecordingPublisher)
    reveal = next(r for _, _, r in publisher.edits if "the answer is" in r.title)
    assert [b.label for b in reveal.buttons] == ["Read more", "Report a problem"]
    more = await services.router.press(BO, reveal.buttons[0].action)
    assert more.ephemeral and more.separate and any(f.name.startswith("» ") for f in more.fields)


@pytest.fixture
async def failing(tmp_path: Path, database_url: str | None) -> AsyncIterator[Services]:
    settings = make_settings(tmp_path, database_url=database_url)
    services = await open_services(settings, FakeClock(), RecordingPublisher(), database=DatabaseDouble)
    try:
        yield services
    finally:
        await close_services(services)


async def test_answers_revealed_before_a_crash_update_cards_once_later(failing: Services) -> None:
    """The card update fails as if the bot died between the reveal and it: the reveal stands, no card changed,
    and the next upkeep (hourly, and at every start) applies the answers, once."""
    db = failing.app.db
    assert isinstance(db, DatabaseDouble)
    db.fail_once(lambda sql, _: sql.startswith("UPDATE quiz_questions SET cards_ms"), RuntimeError("killed"))
    await run_one_question(failing, [(ANA, True, 1_000)])
    assert db.failed and await cards(failing) == {}
    await failing.review.upkeep()
    await failing.review.quiz_cards.settle()
    assert [log.rating for log in await failing.review.repo.logs(1)] == [Rating.EASY]
    await failing.review.upkeep()
    await failing.review.quiz_cards.settle()
    assert len(await failing.review.repo.logs(1)) == 1


def utc_ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


async def test_a_question_of_the_day_updates_cards_when_it_closes(tmp_path: Path, database_url: str | None) -> None:
    clock = FakeClock(utc_ms("2026-11-24T09:00:00"))
    settings = make_settings(tmp_path, database_url=database_url)
    publisher = RecordingPublisher()
    services = await open_services(settings, clock, publisher)
    try:
        for key, value in (("daily_time", "09:00"), ("daily_window_hours", "12")):
            assert not (
                await services.router.run(ADMIN, "ketamine-admin", "settings set", {"setting": key, "value": value})
            ).is_error
        added = await services.router.run(ADMIN, "ketamine-admin", "studygroup add", {"channel": 20, "daily": "on"})
        assert not added.is_error, added.body
        assert await services.daily.tick() == 1
        _, question = publisher.last_question()
        session_id = int(question.buttons[0].action.split(":")[1])
        quiz = await services.quiz.uow().quizzes.load(session_id)
        assert quiz is not None
        asked = services.app.library.modules["ketamine"].question(quiz.questions[0].question_id)
        assert asked is not None
        await clock.advance(2 * 3_600_000)  # within the first quarter of 12 hours
        assert (await services.router.press(ANA, question.buttons[asked.answer].action)).title.startswith("Locked")
        assert await services.review.repo.logs(1) == [], "nothing changes until the question closes"
        closed = await services.router.run(ADMIN, "ketamine-admin", "quiz close-daily", {})
        assert not closed.is_error, closed.body
        await services.review.quiz_cards.settle()
        [log] = await services.review.repo.logs(1)
        assert log.source is ReviewSource.DAILY and log.rating is Rating.EASY
        assert log.reviewed_ms == utc_ms("2026-11-24T11:00:00"), "at the answer's time, not the closing time"
    finally:
        await close_services(services)


async def test_stats_show_mastery_due_cards_and_the_streak_in_the_servers_zone(services: Services) -> None:
    clock = clock_of(services)
    zone = await services.router.run(
        ADMIN, "ketamine-admin", "settings set", {"setting": "timezone", "value": "Europe/Berlin"}
    )
    assert not zone.is_error, zone.body
    await practise(services, [Rating.EASY, Rating.AGAIN])
    await clock.advance(9 * DAY_MS)  # the Easy card fell due after about 8 days; the streak is broken
    reply = await review(services)
    while reply.title != "Review finished":
        reply = await answer_and_rate(services, reply, Rating.EASY)
    stats = await services.router.run(ANA, "ketamine", "stats", {})
    fields = {f.name: words_of(f.value) for f in stats.fields}
    assert fields["Cards due now"] == "0"
    assert fields["Review streak"].startswith("1 day") and "Europe/Berlin" in fields["Review streak"]
    overview = services.app.library.modules["ketamine"].topic("overview")
    assert overview is not None and f"{overview.title}** · 1/15 (7%)" in fields["Mastery by topic"]
    mature = [c for c in (await cards(services)).values() if (c.stability or 0) >= 21]
    assert len(mature) == 1

    await clock.advance(DAY_MS)
    unbroken = await services.router.run(ANA, "ketamine", "stats", {})
    assert words_of(next(f.value for f in unbroken.fields if f.name == "Review streak")).startswith("1 day")
    await practise(services, [Rating.GOOD])
    streak = await services.router.run(ANA, "ketamine", "stats", {})
    assert words_of(next(f.value for f in streak.fields if f.name == "Review streak")).startswith("2 days")
    others = await services.router.run(BO, "ketamine", "stats", {"member": 1})
    assert "Cards due now" not in [f.name for f in others.fields], "reviews are personal"


def words_of(value: Text) -> str:
    """A field's words and small print, other tokens left out."""
    return " ".join(p if isinstance(p, str) else p.text if isinstance(p, Small) else "" for p in pieces(value))


async def test_questions_hidden_in_a_server_are_never_reviewed_there_and_answers_can_be_reported(
    services: Services,
) -> None:
    """A question the server's moderators hid is left out of practice and review in that server (not in direct
    messages, where no server's choice applies); a review answer in a server has Report a problem, in DMs not."""
    module = services.router.app.content.module("ketamine")
    bank = [q.id for q in module.questions if q.topic == "mechanism"]
    kept, hidden = bank[0], bank[1:]
    for question_id in hidden:
        done = await services.router.run(ADMIN, "ketamine-admin", "question hide", {"question": question_id})
        assert not done.is_error, done.body

    offer = await review(services, topic="mechanism")
    card = await press(services, offer, "Practise")
    answered = await press(services, card, "A")
    assert "Report a problem" in [b.label for b in answered.buttons]
    finished = await press(services, answered, Rating.GOOD.label)
    assert [log.question_id for log in await services.review.repo.logs(1)] == [kept]
    assert finished.title == "Practice finished" and "Done: 1 card" in words(finished)  # the only one not hidden

    in_dms = Caller(user_id=1, display_name="ana", guild_id=None, channel_id=None)
    offer = await review(services, in_dms, topic="mechanism")
    card = await press(services, offer, "Practise", in_dms)
    answered = await press(services, card, "A", in_dms)
    assert "Report a problem" not in [b.label for b in answered.buttons]
    await press(services, answered, Rating.GOOD.label, in_dms)
    assert (await services.review.repo.logs(1))[-1].question_id in hidden
