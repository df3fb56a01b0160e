"""The quiz's rules, broken: each error names the rule and carries the sentence a member is shown.

They are :class:`UserFacingError` subclasses, so an adapter shows the message as it is; the use case that
catches one (an answer given twice is acknowledged, not refused) does so by its name, never by its text.
"""

from __future__ import annotations

from bot.core.errors import UserFacingError
from bot.core.quiz.model import QuizSession


class QuizRuleBroken(UserFacingError):
    """A request the quiz's rules refuse."""


class QuizOver(QuizRuleBroken):
    def __init__(self) -> None:
        super().__init__("This quiz is over, so answers no longer count. Start a new one with the quiz start command.")


class QuestionClosed(QuizRuleBroken):
    def __init__(self, message: str = "That question is closed. Answer the current one.") -> None:
        super().__init__(message)


class TimeUp(QuestionClosed):
    def __init__(self) -> None:
        super().__init__("Time is up for that question.")


class AlreadyAnswered(QuizRuleBroken):
    """One answer per member per question; ``choice`` is the one that counts."""

    def __init__(self, choice: int) -> None:
        super().__init__("One answer per question.")
        self.choice = choice


class NotInThisQuiz(QuizRuleBroken):
    """A button of another server's quiz, of a question this quiz does not ask, or a choice it does not have."""


class AlreadyAsked(QuizRuleBroken):
    """A question the quiz asked, or is asking, is its history: withdrawing it (it was hidden) leaves it there."""

    def __init__(self, question_id: str, position: int) -> None:
        super().__init__(
            f"Question {question_id} was already asked in this quiz (question {position + 1}); what a quiz asked "
            "stays as it was."
        )
        self.question_id = question_id
        self.position = position


class NotAllowedToStop(QuizRuleBroken):
    def __init__(self) -> None:
        super().__init__("Only the member who started this quiz, or someone with Manage Server, can stop it.")


class ChannelBusy(QuizRuleBroken):
    """One quiz per channel at a time."""

    def __init__(self, running: QuizSession, where: str = "this channel") -> None:
        super().__init__(f"A quiz is already running in this channel: {where}. Answer there, or stop it first.")
        self.running = running


class AlreadyPosted(Exception):
    """That channel's question of the day for that day was already posted (the schedule simply moves on)."""

    def __init__(self, channel_id: int, day: str) -> None:
        super().__init__(f"channel {channel_id} already has its question for {day}")


class StaleQuiz(RuntimeError):
    """Saved from a copy that another task changed and saved first; load it again and redo the step."""
