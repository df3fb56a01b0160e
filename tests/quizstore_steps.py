"""Quiz steps through any unit of work (SQL or the in-memory fake), shared by the store contract tests and the
answer writer's tests: make a quiz, move it, answer it."""

from __future__ import annotations

from bot.core.quiz.aggregate import Quiz
from bot.core.quiz.model import NewSession, QuizKind, QuizRules, QuizSession, StoredAnswer
from bot.services.quiz.unit_of_work import UnitOfWorkFactory

GUILD, CHANNEL = 1, 100
RULES = QuizRules(question_count=2, seconds=30, points=10, speed_bonus=False)


def new_quiz(channel: int = CHANNEL, *, day: str | None = None) -> NewSession:
    return NewSession(
        guild_id=GUILD,
        channel_id=channel,
        starter_id=7,
        module="ketamine",
        topic=None,
        difficulty=None,
        rules=RULES,
        seed=1,
        kind=QuizKind.DAILY if day else QuizKind.QUIZ,
        closes_ms=86_000_000 if day else None,
        daily_day=day,
    )


async def create(
    units: UnitOfWorkFactory,
    channel: int = CHANNEL,
    *,
    day: str | None = None,
    questions: tuple[str, ...] = ("q1", "q2"),
) -> QuizSession:
    async with units() as uow:
        added = uow.quizzes.add(new_quiz(channel, day=day), questions, 1_000)
        await uow.commit()
    assert added.session is not None
    return added.session


async def change(units: UnitOfWorkFactory, session_id: int, move: str, now_ms: int) -> Quiz:
    async with units() as uow:
        quiz = await uow.quizzes.load(session_id)
        assert quiz is not None
        before = quiz.snapshot()
        if move == "ask":
            quiz.ask_next(now_ms)
        elif move == "reveal":
            quiz.reveal(now_ms)
        else:
            quiz.stop(now_ms, by_user=7, can_manage=False)
        uow.quizzes.save(quiz, before)
        await uow.commit()
    return quiz


def answer(session: QuizSession, user: int, choice: int = 0, position: int = 0) -> StoredAnswer:
    return StoredAnswer(
        session_id=session.id,
        position=position,
        user_id=user,
        guild_id=GUILD,
        topic="mechanism",
        choice=choice,
        correct=choice == 0,
        points=10 if choice == 0 else 0,
        answered_ms=2_000 + user,
    )
