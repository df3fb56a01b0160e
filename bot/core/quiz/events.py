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
class QuestionWithdrawn:
    """A question not asked yet left the quiz (hidden in its server): ``replacement`` asked instead, or, when
    None, the position went and the later ones moved up."""

    session_id: int
    position: int
    question_id: str
    replacement: str | None


@dataclass(frozen=True)
class QuizEnded:
    session_id: int
    stopped: bool


QuizHappening = QuestionAsked | AnswerRevealed | QuestionWithdrawn | QuizEnded
