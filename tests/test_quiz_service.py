"""The quiz use cases on SQLite, PostgreSQL and the in-memory unit of work, with a hand-moved clock and a recording
publisher, through the production service graph."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.core.quiz.state import QuizState
from bot.core.reply import Reply
from bot.discord_app.markup import markup
from bot.services.app import App
from bot.services.bundle import Services
from bot.services.catalog import Caller
from bot.services.quiz import QuizService
from bot.services.router import Router
from bot.storage.repositories.jobs import SCHEDULE_SQL, JobRepository
from tests.helpers import make_settings
from tests.memory_store import QuizData, memory_units
from tests.quizkit import FakeClock, RecordingPublisher
from tests.servicekit import DatabaseDouble, close_services, open_services

GUILD, CHANNEL = 10, 20
QUIZ_SETTINGS: dict[str, object] = {
    "quiz_questions": 3,
    "quiz_seconds": 20,
    "quiz_points": 100,
    "quiz_speed_bonus": True,
    "quiz_reveal_seconds": 2,
}
"""Three questions of 20 s, 100 points with the speed bonus, 2 s between a reveal and the next question."""


def member(user_id: int, *, guild: int = GUILD, channel: int = CHANNEL, manage: bool = False) -> Caller:
    return Caller(
        user_id=user_id, display_name=f"user{user_id}", guild_id=guild, channel_id=channel, can_manage_guild=manage
    )


@dataclass
class Rig:
    """The production service graph (``Services.create``) over a database that can be told to fail a statement."""

    services: Services
    clock: FakeClock
    publisher: RecordingPublisher
    db: DatabaseDouble

    @property
    def app(self) -> App:
        return self.services.app

    @property
    def quiz(self) -> QuizService:
        return self.services.quiz

    @property
    def router(self) -> Router:
        return self.services.router

    async def start(self, caller: Caller | None = None, **options: object) -> None:
        reply = await self.router.run(caller or member(1), "ketamine", "quiz start", options)
        assert not reply.is_error, reply.body
        await self.publisher.wait_until(lambda: any(r.title.startswith("Question 1/") for r in self.replies()))

    def replies(self) -> list[Reply]:
        return [r for _, _, r in self.publisher.posts]

    async def click(self, caller: Caller, choice: int) -> str:
        _, question = self.publisher.last_question()
        reply = await self.router.press(caller, question.buttons[choice].action)
        return reply.title if not reply.is_error else "ERROR: " + reply.body


@dataclass(frozen=True)
class Store:
    """Where the quizzes are kept: SQLite (no URL), PostgreSQL (its URL), or the in-memory fake (its data)."""

    database_url: str | None = None
    memory: QuizData | None = None


@pytest.fixture(params=["sqlite", "postgres", "memory"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[Store]:
    """Every service test runs on both engines and on the in-memory unit of work the fast tests use."""
    if request.param != "postgres":
        yield Store(memory=QuizData() if request.param == "memory" else None)
        return
    server = request.getfixturevalue("postgres_server")
    name = await server.create_database()
    try:
        yield Store(database_url=server.url(name))
    finally:
        await server.release_database(name)


async def open_rig(tmp_path: Path, store: Store, clock: FakeClock | None = None) -> Rig:
    settings = make_settings(tmp_path, None, database_url=store.database_url, **QUIZ_SETTINGS)
    clock = clock or FakeClock()
    publisher = RecordingPublisher()
    units = None if store.memory is None else memory_units(store.memory)
    services = await open_services(settings, clock, publisher, database=DatabaseDouble, quiz_units=units)
    assert isinstance(services.app.db, DatabaseDouble)
    return Rig(services, clock, publisher, services.app.db)


@pytest.fixture
async def rig(tmp_path: Path, store: Store) -> AsyncIterator[Rig]:
    rig = await open_rig(tmp_path, store)
    try:
        yield rig
    finally:
        await close_services(rig.services)


async def answer_of_current(rig: Rig) -> int:
    _, question = rig.publisher.last_question()
    session_id, position = (int(x) for x in question.buttons[0].action.split(":")[1:3])
    asked = await rig.quiz.uow().quizzes.question(session_id, position)
    assert asked is not None
    return next(q for q in rig.app.library.modules["ketamine"].questions if q.id == asked.question_id).answer


async def test_a_whole_quiz(rig: Rig) -> None:
    await rig.start()
    right = await answer_of_current(rig)
    wrong = (right + 1) % 2
    assert await rig.click(member(1), right) == f"Locked in: {'ABCDE'[right]}"
    assert await rig.click(member(1), wrong) == f"You already answered {'ABCDE'[right]}"
    await rig.clock.advance(5_000)
    assert await rig.click(member(2), right) == f"Locked in: {'ABCDE'[right]}"
    assert await rig.click(member(3), wrong) == f"Locked in: {'ABCDE'[wrong]}"

    await rig.clock.advance(15_001)  # the deadline passes: reveal
    await rig.publisher.wait_until(lambda: len(rig.publisher.edits) == 1)
    _, _, reveal = rig.publisher.edits[0]
    assert reveal.title.endswith(f"the answer is {'ABCDE'[right]}")
    assert "Scored (2)" in [f.name for f in reveal.fields]
    assert "user1 +200" in reveal.fields[1].value and "user2 +175" in reveal.fields[1].value

    for position in (1, 2):
        await rig.clock.advance(2_000)  # the pause after a reveal
        await rig.publisher.wait_until(
            lambda p=position: rig.publisher.last_question()[1].title.startswith(f"Question {p + 1}/")
        )
        answer = await answer_of_current(rig)
        for user in (1, 2, 3):
            await rig.click(member(user), answer)
        # everyone who played before has answered: revealed early, without waiting for the deadline
        await rig.publisher.wait_until(lambda p=position: len(rig.publisher.edits) == p + 1)

    await rig.clock.advance(2_000)
    await rig.publisher.wait_until(lambda: rig.publisher.titles()[-1] == "Quiz over · results")
    results = rig.publisher.posts[-1][2]
    assert results.body.splitlines()[0].startswith("🥇 **user1**")
    session = await rig.quiz.uow().quizzes.running()
    assert session == []
    board = await rig.quiz.uow().answers.leaderboard(GUILD, None)
    assert [row.user_id for row in board] == [1, 2, 3]
    assert sum(row.answered for row in board) == 9


async def test_refusals(rig: Rig) -> None:
    await rig.start()
    _, question = rig.publisher.last_question()
    action = question.buttons[0].action
    session_id = int(action.split(":")[1])
    cases = {
        f"qa:{session_id + 99}:0:0": "does not exist",
        f"qa:{session_id}:5:0": "not part of this quiz",
        f"qa:{session_id}:0:4": "does not exist for this question" if len(question.buttons) < 5 else "",
        f"qa:{session_id}:1:0": "closed",
    }
    for forged, expected in cases.items():
        if not expected:
            continue
        reply = await rig.router.press(member(4), forged)
        assert reply.is_error and reply.ephemeral and expected in reply.body, (forged, reply.body)
    other_server = await rig.router.press(member(4, guild=999), action)
    assert "another server" in other_server.body
    dm = await rig.router.run(Caller(user_id=4), "ketamine", "quiz start", {})
    assert dm.is_error and "server" in dm.body
    busy = await rig.router.run(member(5), "ketamine", "quiz start", {})
    assert busy.is_error and "already running" in busy.body and "https://discord.com/channels/10/20/" in busy.body
    too_many = await rig.router.run(member(5, channel=21), "ketamine", "quiz start", {"questions": 51})
    assert too_many.is_error and "from 1 to 50" in too_many.body
    await rig.clock.advance(20_001)
    refused = await rig.router.press(member(6), action)
    assert refused.is_error and ("Time is up" in refused.body or "closed" in refused.body)


async def test_stop_needs_starter_or_manage_server(rig: Rig) -> None:
    await rig.start(member(1))
    refused = await rig.router.run(member(2), "ketamine", "quiz stop", {})
    assert refused.is_error and "Manage Server" in refused.body
    status = await rig.router.run(member(2), "ketamine", "quiz status", {})
    assert status.title == "Quiz status" and "Question 1 of 3" in markup(status.body)
    stopped = await rig.router.run(member(3, manage=True), "ketamine", "quiz stop", {})
    assert stopped.title == "Quiz stopped"
    assert rig.publisher.titles()[-1] == "Quiz stopped · results so far"
    again = await rig.router.run(member(1), "ketamine", "quiz stop", {})
    assert again.is_error and again.body == "No quiz is running in this channel. Start one with /ketamine quiz start."


async def test_fifty_simultaneous_answers_and_double_clicks(rig: Rig) -> None:
    await rig.start()
    callers = [member(100 + i) for i in range(50)]
    first = await asyncio.gather(*(rig.click(c, i % 2) for i, c in enumerate(callers)))
    again = await asyncio.gather(*(rig.click(c, 0) for c in callers))
    assert all(t.startswith("Locked in") for t in first)
    assert all(t.startswith("You already answered") for t in again)
    session = (await rig.quiz.uow().quizzes.running())[0]
    answers = await rig.quiz.uow().answers.answers(session.id, 0)
    assert len(answers) == 50 and len({a.user_id for a in answers}) == 50


async def test_resume_after_a_crash_reveals_overdue_question_and_finishes(tmp_path: Path, store: Store) -> None:
    first = await open_rig(tmp_path, store)
    await first.start()
    right = await answer_of_current(first)
    await first.click(member(1), right)
    await first.click(member(2), right)
    (session,) = await first.quiz.uow().quizzes.running()
    # The process dies: tasks vanish without any clean-up, the database keeps what was committed.
    await first.quiz.runner.shutdown()
    await first.app.close()

    clock = FakeClock(first.clock.now_ms() + 60_000)  # a minute later: the deadline has passed
    second = await open_rig(tmp_path, store, clock)
    try:
        assert await second.quiz.runner.resume_all() == 1
        await second.publisher.wait_until(lambda: len(second.publisher.edits) + len(second.publisher.posts) >= 1)
        reveal = (second.publisher.edits or second.publisher.posts)[0][2]
        assert "the answer is" in reveal.title and "Scored (2)" in [f.name for f in reveal.fields]
        for _ in range(2):
            await clock.advance(2_000)
            await second.publisher.wait_until(lambda: bool(second.publisher.posts))
            await clock.advance(20_001)
        await clock.advance(2_000)
        await second.publisher.wait_until(lambda: "Quiz over · results" in second.publisher.titles())
        ended = await second.quiz.uow().quizzes.get(session.id)
        assert ended is not None and ended.state is QuizState.FINISHED
        assert await second.quiz.uow().quizzes.running() == []
        board = await second.quiz.uow().answers.leaderboard(GUILD, None)
        assert {row.user_id for row in board} == {1, 2}
    finally:
        await close_services(second.services)


async def test_deleted_question_message_gets_reveal_as_new_message(rig: Rig) -> None:
    await rig.start()
    message_id, _ = rig.publisher.last_question()
    rig.publisher.deleted.add(message_id)
    await rig.clock.advance(20_001)
    await rig.publisher.wait_until(lambda: "the answer is" in rig.publisher.titles()[-1])
    await rig.clock.advance(2_000)
    await rig.publisher.wait_until(lambda: rig.publisher.titles()[-1].startswith("Question 2/"))


async def test_leaderboard_and_stats(rig: Rig) -> None:
    await rig.start()
    right = await answer_of_current(rig)
    await rig.click(member(1), right)
    await rig.click(member(2), (right + 1) % 2)
    await rig.clock.advance(20_001)
    await rig.publisher.wait_until(lambda: len(rig.publisher.edits) == 1)
    board = await rig.router.run(member(2), "ketamine", "leaderboard", {})
    assert [f.name for f in board.fields] == ["All time", "This week"]
    all_time = board.fields[0].value.splitlines()
    assert all_time[0] == "1. **user1** · 200 pts · 1/1" and all_time[-1] == "You: #2 with 0 pts"
    mine = await rig.router.run(member(1), "ketamine", "stats", {})
    assert mine.title == "Stats · user1" and "1 question answered, 1 right (100%), 200 points." in mine.body
    theirs = await rig.router.run(member(1), "ketamine", "stats", {"member": "<@2>"})
    assert theirs.title == "Stats · user2" and "0 right" in theirs.body
    nobody = await rig.router.run(member(1), "ketamine", "stats", {"member": "777"})
    assert "No quiz answers" in nobody.body
    bad = await rig.router.run(member(1), "ketamine", "stats", {"member": "@everyone"})
    assert bad.is_error and "must be a member" in bad.body


async def test_a_failing_publisher_is_retried_and_the_quiz_goes_on(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    rig.publisher.failing_posts.append(RuntimeError("Discord is having a bad day"))
    reply = await rig.router.run(member(1), "ketamine", "quiz start", {})
    assert not reply.is_error
    await rig.publisher.wait_until(lambda: "a step failed (1 in a row)" in caplog.text)
    assert rig.publisher.posts == []
    await rig.clock.advance(2_000)  # the retry waits 2 s on the quiz clock
    await rig.publisher.wait_until(lambda: any(r.title == "Question 1/3" for _, _, r in rig.publisher.posts))
    assert rig.publisher.failing_posts == []


async def test_a_question_posted_just_before_a_crash_is_not_posted_twice(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    """Killed between posting a question and storing its message id, the quiz asks it again on resuming; the
    repeated post carries the same nonce, so Discord returns the first message, which gets the new deadline."""
    rig.publisher.dies_after_posting = 1
    await rig.router.run(member(1), "ketamine", "quiz start", {})
    await rig.publisher.wait_until(lambda: "a step failed (1 in a row)" in caplog.text)
    assert rig.publisher.dies_after_posting == 0 and len(rig.publisher.posts) == 1, "posted, then the bot died"
    await rig.clock.advance(2_000)  # the retry re-reads the quiz: question 1 is asked but has no message
    await rig.publisher.wait_until(lambda: bool(rig.publisher.edits))

    questions = [(mid, r) for _, mid, r in rig.publisher.posts if r.title.startswith("Question 1/")]
    assert len(questions) == 1, "one question message, however often it was posted"
    ((first_id, first),) = questions
    ((_, edited_id, refreshed),) = rig.publisher.edits
    assert edited_id == first_id and refreshed.title == first.title
    assert refreshed.body != first.body, "the message shows the deadline it was asked again with"
    (session,) = await rig.quiz.uow().quizzes.running()
    asked = await rig.quiz.uow().quizzes.question(session.id, 0)
    assert asked is not None and asked.message_id == first_id
    assert await rig.click(member(2), 0) != "" and len(await rig.quiz.uow().answers.answers(session.id)) == 1


async def test_results_lost_to_a_crash_are_posted_once_at_start_up(rig: Rig) -> None:
    await rig.start()
    right = await answer_of_current(rig)
    await rig.click(member(1), right)
    (session,) = await rig.quiz.uow().quizzes.running()
    await rig.quiz.runner.shutdown()
    # The process died right after ending the quiz, before its results message went out.
    async with rig.quiz.uow() as uow:
        quiz = await uow.quizzes.load(session.id)
        assert quiz is not None
        before = quiz.snapshot()
        quiz.stop(rig.clock.now_ms(), by_user=1, can_manage=False)
        uow.quizzes.save(quiz, before)
        await uow.commit()
    assert await rig.quiz.runner.resume_all() == 0
    assert rig.publisher.titles().count("Quiz stopped · results so far") == 1
    assert await rig.quiz.runner.resume_all() == 0
    assert rig.publisher.titles().count("Quiz stopped · results so far") == 1


async def test_clicks_racing_a_stop_are_in_the_results_or_refused_as_over(rig: Rig) -> None:
    """Never "Locked in" and then left out: each click is stored and in the posted results, or told the quiz is
    over."""
    await rig.start()
    _, question = rig.publisher.last_question()
    (session,) = await rig.quiz.uow().quizzes.running()
    clickers = range(2, 10)
    replies = await asyncio.gather(
        *(rig.router.press(member(u), question.buttons[0].action) for u in clickers),
        rig.router.run(member(1), "ketamine", "quiz stop", {}),
    )
    clicks = dict(zip(clickers, replies[:-1], strict=True))
    acked = {u for u, r in clicks.items() if r.title.startswith("Locked in")}
    refused = {u for u, r in clicks.items() if r.is_error}
    assert acked | refused == set(clickers)
    assert all("This quiz is over" in clicks[u].body for u in refused)
    assert {a.user_id for a in await rig.quiz.uow().answers.answers(session.id)} == acked
    (results,) = [r for r in rig.replies() if "results" in r.title.lower()]
    shown = results.body + " ".join(f.value for f in results.fields)
    assert all(f"user{u}" in shown for u in acked)


async def test_a_quiz_does_not_start_where_the_bot_cannot_post(rig: Rig) -> None:
    caller = Caller(user_id=1, guild_id=GUILD, channel_id=CHANNEL, bot_missing=("Send Messages", "Embed Links"))
    reply = await rig.router.run(caller, "ketamine", "quiz start", {})
    assert reply.is_error and reply.ephemeral
    assert "Send Messages and Embed Links permissions" in reply.body
    assert await rig.quiz.uow().quizzes.running() == [] and rig.publisher.posts == []


async def test_an_answer_that_cannot_reveal_early_costs_the_quiz_no_read(tmp_path: Path) -> None:
    """From the second question an answer may complete an early reveal. The quiz's task reads who answered when
    the question opens, then again only once the answers it is told of cover everyone who played before (then the
    database decides), not at every click: with twenty members that was two queries per click."""
    rig = await open_rig(tmp_path, Store())  # SQLite: the statements are counted on their way to it
    try:
        await rig.start()
        answer = await answer_of_current(rig)
        for user in (1, 2, 3):
            await rig.click(member(user), answer)
        await rig.clock.advance(20_001)
        await rig.publisher.wait_until(lambda: len(rig.publisher.edits) == 1)

        reads: list[str] = []
        rig.db.on_statement = lambda sql: (
            reads.append(sql) if "SELECT DISTINCT user_id FROM quiz_answers" in sql else None
        )
        await rig.clock.advance(2_000)  # the pause after the reveal: question 2
        await rig.publisher.wait_until(lambda: len(reads) == 2)  # who played before it, who answered it (nobody)
        answer = await answer_of_current(rig)
        for user in (1, 2):
            assert (await rig.click(member(user), answer)).startswith("Locked in")
            # Time for a task that was woken to read (a wait for something that must not happen: a slow machine
            # could only hide a read here, never invent one).
            await asyncio.sleep(0.2)
        assert rig.publisher.edits[1:] == [], "two of three: not revealed"
        await rig.click(member(3), answer)
        await rig.publisher.wait_until(lambda: len(rig.publisher.edits) == 2)  # revealed early
        assert len(reads) == 3, "read once more, when the third answer completed the set; not at the first two"
    finally:
        await close_services(rig.services)


async def test_each_move_and_when_the_next_is_due_are_one_commit(tmp_path: Path, database_url: str | None) -> None:
    """A quiz's job records when its next move is due in the move's own transaction: no second commit per move,
    and never a move stored without its due time (another process would take the quiz over at the wrong time)."""
    rig = await open_rig(tmp_path, Store(database_url=database_url))
    try:
        await rig.start()
        session = (await rig.quiz.uow().quizzes.running())[0]
        job = await JobRepository(rig.db).get("quiz", session.id)
        asked = await rig.quiz.uow().quizzes.question(session.id, 0)
        assert job is not None and asked is not None and job.due_ms == asked.deadline_ms, "due at the deadline"
        await rig.clock.advance(20_001)
        await rig.publisher.wait_until(lambda: len(rig.publisher.edits) == 1)  # revealed
        revealed = await rig.quiz.uow().quizzes.question(session.id, 0)
        job = await JobRepository(rig.db).get("quiz", session.id)
        assert revealed is not None and revealed.revealed_ms is not None and job is not None
        assert job.due_ms == revealed.revealed_ms + 2_000, "due when the pause after the reveal ends"
        assert SCHEDULE_SQL not in rig.db.writes, "no due time written on its own, after the move's commit"
    finally:
        await close_services(rig.services)
