"""What happened to a quiz, as the aggregate reports it: the runner turns each event into a message."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QuestionAsked:
    session_id: int
    position: int
    deadline_ms: int


@dataclass(frozen=True)
class AnswerRevealed:
    session_id: int
    position: int


@dataclass(frozen=True)
class QuizEnded:
    session_id: int
    stopped: bool


QuizHappening = QuestionAsked | AnswerRevealed | QuizEnded
