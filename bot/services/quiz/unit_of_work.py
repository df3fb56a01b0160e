"""The unit of work the quiz use cases run in: its repositories for reading and staging changes, and a commit.

A use case opens one (``async with self.uow() as uow``), reads through ``uow.quizzes`` and ``uow.answers``,
stages its changes (``uow.quizzes.save(quiz, before)``, ``uow.answers.add(answer, name)``, and when the quiz's
job is next due: ``uow.quizzes.due(job)``) and calls ``await uow.commit()``. Leaving without a commit drops what
was staged. The commit writes every staged quiz change in one transaction (a save refused with StaleQuiz, a new
quiz with ChannelBusy or AlreadyPosted), and hands staged answers to the batched answer writer, which acknowledges
each one only once it is durable.

``QuizUnitOfWork`` is the port; ``SqlUnitOfWork`` runs it on SQLite or PostgreSQL, and the tests have an
in-memory fake that passes the same contract tests.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Protocol, Self

from bot.core.quiz.aggregate import Quiz
from bot.core.quiz.model import AskedQuestion, NewSession, QuizKind, QuizSession, StoredAnswer
from bot.services.quiz.answer_writer import AnswerWriter
from bot.storage.engine import Database
from bot.storage.repositories.answers import AnswerRepository, LeaderRow
from bot.storage.repositories.jobs import JobDue
from bot.storage.repositories.quiz import Added, QuizRepository, write_staged


class QuizStore(Protocol):
    def add(self, new: NewSession, question_ids: Sequence[str], now_ms: int) -> Added: ...
    def save(self, quiz: Quiz, before: Quiz | None = None) -> None: ...
    def results_posted(self, session_id: int, message_id: int) -> None: ...
    def due(self, job: JobDue) -> None: ...
    async def load(self, session_id: int) -> Quiz | None: ...
    async def get(self, session_id: int) -> QuizSession | None: ...
    async def running(self) -> list[QuizSession]: ...
    async def running_in_channel(self, channel_id: int, kind: QuizKind = ...) -> QuizSession | None: ...
    async def unannounced(self, since_ms: int) -> list[QuizSession]: ...
    async def daily_posted(self, channel_id: int, day: str) -> bool: ...
    async def daily_usage(self, channel_id: int) -> dict[str, int]: ...
    async def question(self, session_id: int, position: int) -> AskedQuestion | None: ...
    async def asked_questions(self, session_id: int) -> list[AskedQuestion]: ...


class AnswerStore(Protocol):
    def add(self, answer: StoredAnswer, display_name: str) -> None: ...
    def remember(self, guild_id: int, user_id: int, display_name: str, now_ms: int) -> None: ...
    async def players(self, session_id: int, *, before: int | None = None, at: int | None = None) -> set[int]: ...
    async def answer_of(self, session_id: int, position: int, user_id: int) -> StoredAnswer | None: ...
    async def answers(self, session_id: int, position: int | None = None) -> list[StoredAnswer]: ...
    async def names(self, guild_id: int, user_ids: Sequence[int]) -> dict[int, str]: ...
    async def leaderboard(
        self, guild_id: int, since_ms: int | None, limit: int = ..., channel_id: int | None = None
    ) -> list[LeaderRow]: ...
    async def rank_of(
        self, guild_id: int, user_id: int, since_ms: int | None, channel_id: int | None = None
    ) -> tuple[int, LeaderRow] | None: ...
    async def history(self, guild_id: int, user_id: int) -> list[StoredAnswer]: ...


class QuizUnitOfWork(Protocol):
    @property
    def quizzes(self) -> QuizStore: ...
    @property
    def answers(self) -> AnswerStore: ...

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None: ...
    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...


UnitOfWorkFactory = Callable[[], QuizUnitOfWork]


class UnitOfWorkScope(ABC):
    """``async with`` for a unit of work: leaving the block drops whatever was staged and not committed."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.rollback()

    @abstractmethod
    async def rollback(self) -> None:
        """Drop what was staged (each unit of work knows what it holds)."""


class SqlUnitOfWork(UnitOfWorkScope):
    def __init__(self, db: Database, writer: AnswerWriter) -> None:
        self._db = db
        self._writer = writer
        self.quizzes = QuizRepository(db)
        self.answers = AnswerRepository(db, writer.write_names)

    async def commit(self) -> None:
        await write_staged(self._db, self.quizzes, self.answers)
        await self._answers()

    async def _answers(self) -> None:
        """Staged answers go through the answer writer: batched with every click arriving at the same time, each
        acknowledged after its batch committed (AlreadyAnswered or QuestionClosed otherwise)."""
        staged, self.answers.staged = self.answers.staged, []
        if len(staged) == 1:
            await self._writer.record(*staged[0])
        elif staged:
            await asyncio.gather(*(self._writer.record(answer, name) for answer, name in staged))

    async def rollback(self) -> None:
        self.quizzes.discard()
        self.answers.discard()


def sql_units(db: Database, writer: AnswerWriter) -> UnitOfWorkFactory:
    return lambda: SqlUnitOfWork(db, writer)
