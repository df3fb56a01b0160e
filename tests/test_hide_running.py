"""Hiding a question reaches the quizzes already running in that server (both engines, hand-moved clock): a quiz
that has not asked it yet asks another question in its place, or one question fewer when none fits; a question
asked or being asked stays; counts and results follow; another server's quiz is left alone."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.core.content.models import Question
from bot.core.quiz.model import NewSession, QuizKind, QuizRules
from bot.core.quiz.state import QuizState
from bot.core.reply import Reply
from bot.core.text import pieces
from bot.discord_app.markup import markup
from bot.services.bundle import Services
from bot.services.catalog import Caller
from tests.quizkit import FakeClock, RecordingPublisher

GUILD, OTHER, CHANNEL, ELSEWHERE, STUDY = 10, 11, 20, 30, 21
ADMIN = "ketamine-admin"


def member(user: int, guild: int = GUILD, channel: int = CHANNEL, manage: bool = False) -> Caller:
    return Caller(user_id=user, display_name=f"user{user}", guild_id=guild, channel_id=channel, can_manage_guild=manage)


MOD = member(90, manage=True)


@dataclass
class Channel:
    """One channel's quiz as its members see it: the question messages posted there, each answered right."""

    services: Services
    channel_id: int = CHANNEL
    answered: int = 0
    by_prompt: dict[str, Question] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.player = member(1, guild=OTHER if self.channel_id == ELSEWHERE else GUILD, channel=self.channel_id)
        self.by_prompt = {q.prompt: q for q in self.services.app.library.modules["ketamine"].questions}

    @property
    def publisher(self) -> RecordingPublisher:
        publisher = self.services.quiz.publisher
        assert isinstance(publisher, RecordingPublisher)
        return publisher

    @property
    def clock(self) -> FakeClock:
        clock = self.services.quiz.clock
        assert isinstance(clock, FakeClock)
        return clock

    def questions(self) -> list[Reply]:
        return [
            reply
            for channel, _, reply in self.publisher.posts
            if channel == self.channel_id and reply.buttons and reply.buttons[0].action.startswith("qa:")
        ]

    def question_of(self, reply: Reply) -> Question:
        return self.by_prompt[str(pieces(reply.body)[0]).split("\n")[0]]

    def results(self) -> Reply | None:
        return next(
            (r for c, _, r in self.publisher.posts if c == self.channel_id and r.title.startswith("Quiz ")), None
        )

    async def answer_new_questions(self) -> None:
        posted = self.questions()
        for reply in posted[self.answered :]:
            right = self.question_of(reply).answer
            locked = await self.services.router.press(self.player, reply.buttons[right].action)
            assert locked.title.startswith("Locked in"), locked.body
        self.answered = len(posted)

    async def start(self, **options: object) -> int:
        started = await self.services.router.run(self.player, "ketamine", "quiz start", options)
        assert not started.is_error, started.body
        await self.publisher.wait_until(lambda: len(self.questions()) == 1)
        await self.answer_new_questions()
        session = await self.services.quiz.uow().quizzes.running_in_channel(self.channel_id)
        assert session is not None
        return session.id

    async def play_to_the_end(self) -> list[str]:
        """Move the clock until the results are posted, answering each question as it is posted; the ids of the
        questions posted, in order."""
        for _ in range(80):
            await self.answer_new_questions()
            if self.results() is not None:
                return [self.question_of(reply).id for reply in self.questions()]
            await self.clock.advance(7_000)
        raise AssertionError(f"the quiz did not end: {self.publisher.titles()}")


async def held(services: Services, session_id: int) -> list[str]:
    return [q.question_id for q in await services.quiz.uow().quizzes.asked_questions(session_id)]


async def hide(services: Services, question_id: str) -> Reply:
    reply = await services.router.run(MOD, ADMIN, "question hide", {"question": question_id})
    assert not reply.is_error, reply.body
    return reply


def field_value(reply: Reply, name: str) -> str:
    return next(markup(f.value) for f in reply.fields if f.name == name)


async def test_a_question_hidden_while_a_quiz_runs_is_replaced_where_it_was_not_asked_yet(services: Services) -> None:
    channel = Channel(services)
    session_id = await channel.start(questions=4)
    drawn = await held(services, session_id)
    await channel.clock.advance(20_001)  # the first question's deadline: revealed, the pause before the next begins
    await channel.publisher.wait_until(lambda: len(channel.publisher.edits) == 1)
    session = await services.quiz.uow().quizzes.get(session_id)
    assert session is not None and session.state is QuizState.REVEALING

    hidden = await hide(services, drawn[1])  # the very next question, as the runner waits to ask it
    assert hidden.title == f"Question {drawn[1]} hidden"
    assert "The quiz running in <#20> asks another question in its place." in markup(hidden.body)
    now = await held(services, session_id)
    assert len(now) == 4 and drawn[1] not in now and now[0] == drawn[0] and now[2:] == drawn[2:]
    assert now[1] not in drawn and now[1] not in await services.moderation.hidden_questions(GUILD)

    asked = await channel.play_to_the_end()
    assert asked == now and drawn[1] not in asked
    assert [r.title for r in channel.questions()] == [f"Question {n}/4" for n in range(1, 5)]
    stored = await services.quiz.uow().quizzes.load(session_id)
    assert stored is not None and stored.state is QuizState.FINISHED and stored.session.question_count == 4
    assert all(q.revealed_ms is not None for q in stored.questions)
    results = channel.results()
    assert results is not None and results.title == "Quiz over · results"
    assert field_value(results, "Questions") == "4" and "4/4 right" in results.body


async def test_with_no_question_to_replace_it_the_quiz_has_one_question_fewer(services: Services) -> None:
    filters = {"questions": 50, "topic": "infusion", "difficulty": 1}  # every question of that filter
    channel, other = Channel(services), Channel(services, ELSEWHERE)
    session_id = await channel.start(**filters)
    other_id = await other.start(**filters)
    drawn = await held(services, session_id)
    assert len(drawn) == 4 and sorted(await held(services, other_id)) == sorted(drawn)

    hidden = await hide(services, drawn[2])  # while the first question is open
    assert "The quiz running in <#20> had no other question for its place: it now has 3 questions." in markup(
        hidden.body
    )
    assert await held(services, session_id) == [drawn[0], drawn[1], drawn[3]]
    assert len(await held(services, other_id)) == 4, "another server's quiz keeps its questions"
    # the open question's message is told the new count, and the copy answers are checked against follows
    await channel.publisher.wait_until(lambda: any(r.title == "Question 1/3" for _, _, r in channel.publisher.edits))
    assert services.quiz.runner.open[session_id].session.question_count == 3

    asked = await channel.play_to_the_end()
    assert asked == [drawn[0], drawn[1], drawn[3]]
    assert [r.title for r in channel.questions()] == ["Question 1/4", "Question 2/3", "Question 3/3"]
    results = channel.results()
    assert results is not None and results.title == "Quiz over · results"
    assert field_value(results, "Questions") == "3" and "3/3 right" in results.body
    stored = await services.quiz.uow().quizzes.load(session_id)
    assert stored is not None and stored.state is QuizState.FINISHED and stored.asked_count == 3
    assert stored.session.question_count == 3


async def test_a_question_already_asked_stays_and_the_reply_says_so(services: Services) -> None:
    channel = Channel(services)
    session_id = await channel.start(questions=3)
    drawn = await held(services, session_id)
    before = await services.quiz.uow().quizzes.get(session_id)

    hidden = await hide(services, drawn[0])  # being asked now
    assert hidden.title == f"Question {drawn[0]} hidden"
    assert "It was already asked in the quiz running in <#20>" in markup(hidden.body)
    assert await services.quiz.uow().quizzes.get(session_id) == before, "the quiz was not touched"

    asked = await channel.play_to_the_end()
    assert asked == drawn
    assert [r.title for r in channel.questions()] == ["Question 1/3", "Question 2/3", "Question 3/3"]
    results = channel.results()
    assert results is not None and field_value(results, "Questions") == "3" and "3/3 right" in results.body
    again = await hide(services, drawn[0])
    assert again.title.endswith("is already hidden") and markup(again.body) == "Nothing was changed."


async def test_an_open_question_of_the_day_keeps_its_question_and_the_reply_says_so(services: Services) -> None:
    clock = services.quiz.clock
    assert isinstance(clock, FakeClock)
    study = member(90, channel=STUDY, manage=True)
    nine = datetime(2026, 11, 24, 9, tzinfo=UTC).timestamp() * 1000  # the default time of the question of the day
    await clock.advance(int(nine) - clock.now_ms())
    added = await services.router.run(study, ADMIN, "studygroup add", {"channel": STUDY, "daily": "on"})
    assert not added.is_error, added.body
    assert await services.daily.tick() == 1
    (daily,) = await services.quiz.uow().quizzes.running()
    (question_id,) = await held(services, daily.id)

    unposted = NewSession(  # made, its post not yet asked (its first post failed before it was stored)
        guild_id=GUILD,
        channel_id=STUDY + 1,
        starter_id=0,
        module="ketamine",
        topic=None,
        difficulty=None,
        rules=QuizRules(1, 20, 100, True),
        seed=5,
        kind=QuizKind.DAILY,
        closes_ms=clock.now_ms() + 3_600_000,
        daily_day="2026-11-24",
    )
    async with services.quiz.uow() as uow:
        added = uow.quizzes.add(unposted, [question_id], clock.now_ms())
        await uow.commit()
    assert added.session is not None

    hidden = await hide(services, question_id)
    assert "It is the question of the day open in <#21>: it stays until that closes." in markup(hidden.body)
    assert "The question of the day about to be posted in <#22> asks another question." in markup(hidden.body)
    assert await held(services, daily.id) == [question_id]
    assert await services.quiz.uow().quizzes.get(daily.id) == daily
    (instead,) = await held(services, added.session.id)
    assert instead != question_id


async def test_a_quiz_left_with_nothing_to_ask_is_stopped_and_says_so(services: Services) -> None:
    publisher = services.quiz.publisher
    assert isinstance(publisher, RecordingPublisher)
    bank = [
        q.id for q in services.app.library.modules["ketamine"].questions if q.topic == "infusion" and q.difficulty == 1
    ]
    for question_id in bank[1:]:
        await hide(services, question_id)
    lobby = NewSession(
        guild_id=GUILD,
        channel_id=CHANNEL,
        starter_id=1,
        module="ketamine",
        topic="infusion",
        difficulty=1,
        rules=QuizRules(1, 20, 100, True),
        seed=3,
    )
    async with services.quiz.uow() as uow:  # made, its first question not asked yet (its runner not started)
        added = uow.quizzes.add(lobby, [bank[0]], services.quiz.clock.now_ms())
        await uow.commit()
    assert added.session is not None

    hidden = await hide(services, bank[0])
    assert "The quiz starting in <#20> had nothing else to ask, so it was stopped." in markup(hidden.body)
    stored = await services.quiz.uow().quizzes.load(added.session.id)
    assert stored is not None and stored.state is QuizState.STOPPED and stored.asked_count == 0
    assert publisher.titles() == ["Quiz stopped · results so far"]
