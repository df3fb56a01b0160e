"""What a quiz is made of, as stored: its rules, the session, the questions it asks, the answers it gets.

Plain values with no behaviour of their own; the rules that change them live in :mod:`bot.core.quiz.aggregate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from bot.core.quiz.state import QuizState


@dataclass(frozen=True)
class QuizRules:
    """The settings a session runs with, stored with it so a resumed quiz behaves the same."""

    question_count: int
    seconds: int
    points: int
    speed_bonus: bool


class QuizKind(StrEnum):
    QUIZ = "quiz"
    DAILY = "daily"
    """A question of the day: one question, open until a fixed closing time, posted by the schedule."""


class Value(BaseModel):
    model_config = ConfigDict(frozen=True)


class SessionOrigin(Value):
    """Where a quiz runs, who started it, and what it asks about."""

    guild_id: int
    channel_id: int
    starter_id: int
    module: str
    topic: str | None
    difficulty: int | None


class QuizSession(SessionOrigin):
    id: int
    question_count: int
    seconds: int
    points: int
    speed_bonus: bool
    seed: int
    state: QuizState
    position: int
    created_ms: int
    updated_ms: int
    ended_ms: int | None
    results_message_id: int | None = None
    kind: QuizKind = QuizKind.QUIZ
    closes_ms: int | None = None
    version: int = 0
    """Bumped by every save; a save of a copy read before another one's save is refused (see StaleQuiz)."""

    @property
    def rules(self) -> QuizRules:
        return QuizRules(self.question_count, self.seconds, self.points, self.speed_bonus)

    @property
    def daily(self) -> bool:
        return self.kind is QuizKind.DAILY


class AskedQuestion(Value):
    session_id: int
    position: int
    question_id: str
    message_id: int | None
    asked_ms: int | None
    deadline_ms: int | None
    revealed_ms: int | None

    @property
    def open(self) -> bool:
        return self.asked_ms is not None and self.revealed_ms is None


class StoredAnswer(Value):
    session_id: int
    position: int
    user_id: int
    guild_id: int
    topic: str
    choice: int
    correct: bool
    points: int
    answered_ms: int


class NewSession(SessionOrigin):
    rules: QuizRules
    seed: int
    kind: QuizKind = QuizKind.QUIZ
    closes_ms: int | None = None
    daily_day: str | None = None
    """For a question of the day: the channel's local date it is for (claimed in the same transaction)."""
