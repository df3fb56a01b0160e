"""The quiz aggregate: one session with the questions it asks, and every rule that changes them.

A use case loads a :class:`Quiz`, calls one of its methods and saves it; the method checks the rule, moves the
state through the transition table (:func:`bot.core.quiz.state.transition`) and records what happened in
``events``. Nothing here reads a clock, a database or Discord: times come in as arguments.

Answers are not held here: a busy quiz gets hundreds of clicks a second, so :meth:`Quiz.grade` checks one
answer against the rules and returns it, and the answer store keeps the one-per-member rule durably.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.content.models import Question
from bot.core.quiz.errors import AlreadyAsked, NotAllowedToStop, NotInThisQuiz, QuestionClosed, QuizOver, TimeUp
from bot.core.quiz.events import AnswerRevealed, QuestionAsked, QuestionWithdrawn, QuizEnded, QuizHappening
from bot.core.quiz.model import AskedQuestion, QuizSession, StoredAnswer
from bot.core.quiz.scoring import reveal_early, score
from bot.core.quiz.state import InvalidTransition, QuizEvent, QuizState, transition


@dataclass
class Quiz:
    session: QuizSession
    questions: list[AskedQuestion]
    """Every question of the quiz, by position; those not asked yet have no times."""
    events: list[QuizHappening] = field(default_factory=list)

    def __post_init__(self) -> None:
        if [q.position for q in self.questions] != list(range(len(self.questions))):
            raise ValueError(f"quiz {self.session.id}: questions must be positions 0..n-1 in order")

    def snapshot(self) -> Quiz:
        """A copy to compare a save against (the values are immutable; the list is not shared)."""
        return Quiz(self.session, list(self.questions))

    # Reading -------------------------------------------------------------------------------------

    @property
    def id(self) -> int:
        return self.session.id

    @property
    def state(self) -> QuizState:
        return self.session.state

    @property
    def current(self) -> AskedQuestion | None:
        """The question at the session's position (asked or about to be)."""
        position = self.session.position
        return self.questions[position] if 0 <= position < len(self.questions) else None

    @property
    def open_question(self) -> AskedQuestion | None:
        """The question members may answer now, if any."""
        current = self.current
        return current if self.state is QuizState.ASKING and current is not None and current.open else None

    @property
    def has_next(self) -> bool:
        return self.session.position + 1 < len(self.questions)

    @property
    def asked_count(self) -> int:
        return sum(1 for q in self.questions if q.asked_ms is not None)

    def holds(self, question_id: str) -> bool:
        """Whether the quiz asked, asks or will ask this question."""
        return any(q.question_id == question_id for q in self.questions)

    def waiting(self, question_id: str) -> bool:
        """Whether a position not asked yet holds this question (it can still be withdrawn there)."""
        return any(q.question_id == question_id and q.asked_ms is None for q in self.questions)

    def deadline_from(self, now_ms: int) -> int:
        """When a question opened now closes: a question of the day's fixed time, or the quiz's seconds."""
        if self.session.closes_ms is not None:
            return self.session.closes_ms
        return now_ms + self.session.seconds * 1000

    def reveal_due(self, now_ms: int, earlier_players: set[int], answered_now: set[int]) -> bool:
        """The open question's answer is due: its deadline passed, or everyone who played before has answered."""
        question = self.open_question
        if question is None:
            return False
        if question.deadline_ms is not None and now_ms >= question.deadline_ms:
            return True
        return reveal_early(question.position, earlier_players, answered_now)

    # Changing ------------------------------------------------------------------------------------

    def ask_next(self, now_ms: int) -> AskedQuestion:
        """Open the next question (the first one from the lobby)."""
        position = 0 if self.state is QuizState.LOBBY else self.session.position + 1
        if position >= len(self.questions):
            raise InvalidTransition(f"quiz {self.id} has no question {position + 1}")
        state = transition(self.state, QuizEvent.ASK)
        deadline = self.deadline_from(now_ms)
        asked = self.questions[position].model_copy(
            update={"asked_ms": now_ms, "deadline_ms": deadline, "message_id": None, "revealed_ms": None}
        )
        self.questions[position] = asked
        self._move(state, now_ms, position=position)
        self.events.append(QuestionAsked(self.id, position, deadline))
        return asked

    def ask_again(self, now_ms: int) -> AskedQuestion:
        """Give the open question new times: it was stored but its message never posted (a crash between)."""
        question = self.open_question
        if question is None:
            raise InvalidTransition(f"quiz {self.id} has no open question to ask again")
        deadline = self.deadline_from(now_ms)
        asked = question.model_copy(update={"asked_ms": now_ms, "deadline_ms": deadline})
        self.questions[question.position] = asked
        self.events.append(QuestionAsked(self.id, question.position, deadline))
        return asked

    def posted(self, position: int, message_id: int) -> None:
        """The question's message is in the channel: reveals edit it."""
        self.questions[position] = self.questions[position].model_copy(update={"message_id": message_id})

    def reveal(self, now_ms: int) -> AskedQuestion:
        """Close the open question and show its answer."""
        question = self.open_question
        state = transition(self.state, QuizEvent.REVEAL)
        if question is None:
            raise InvalidTransition(f"quiz {self.id} has no open question to reveal")
        revealed = question.model_copy(update={"revealed_ms": now_ms})
        self.questions[question.position] = revealed
        self._move(state, now_ms)
        self.events.append(AnswerRevealed(self.id, question.position))
        return revealed

    def finish(self, now_ms: int) -> None:
        """End after the last reveal."""
        if self.has_next:
            raise InvalidTransition(f"quiz {self.id} still has questions to ask")
        self._move(transition(self.state, QuizEvent.FINISH), now_ms, ended=True)
        self.events.append(QuizEnded(self.id, stopped=False))

    def stop(self, now_ms: int, by_user: int, can_manage: bool) -> None:
        """End early: its starter or a server manager may. The open question is closed unrevealed."""
        if by_user != self.session.starter_id and not can_manage:
            raise NotAllowedToStop()
        if not self.state.running:
            raise QuizOver()
        self._move(transition(self.state, QuizEvent.STOP), now_ms, ended=True)
        self.events.append(QuizEnded(self.id, stopped=True))

    def close_now(self, now_ms: int) -> None:
        """A question of the day closed early: revealed and counted as at the end of its window."""
        if self.open_question is not None:
            self.reveal(now_ms)
        if self.state is QuizState.REVEALING and not self.has_next:
            self.finish(now_ms)

    def withdraw(self, question_id: str, replacement: str | None, now_ms: int) -> AskedQuestion | None:
        """Stop holding a question not asked yet (its server hid it): the first position not asked yet that holds it
        asks ``replacement`` instead, or, with none, goes, the later positions moving up, so the quiz has one
        question fewer. A quiz that asked nothing and would be left with nothing to ask is stopped instead.

        A question asked or being asked is history (its answers and reveal stand): AlreadyAsked. Returns the
        question now at that position (None when the position went or the quiz stopped).
        """
        if not self.state.running:
            raise QuizOver()
        held = [q for q in self.questions if q.question_id == question_id]
        if not held:
            raise NotInThisQuiz(f"This quiz does not hold question {question_id}.")
        waiting = next((q for q in held if q.asked_ms is None), None)
        if waiting is None:
            raise AlreadyAsked(question_id, held[0].position)
        if replacement is not None and self.holds(replacement):
            raise ValueError(f"quiz {self.id} already holds {replacement}: a question is asked once per quiz")
        position = waiting.position
        self.events.append(QuestionWithdrawn(self.id, position, question_id, replacement))
        if replacement is not None:
            swapped = waiting.model_copy(update={"question_id": replacement})
            self.questions[position] = swapped
            self.session = self.session.model_copy(update={"updated_ms": now_ms})
            return swapped
        if len(self.questions) == 1:  # still in the lobby, and this was all it had to ask
            self._move(transition(self.state, QuizEvent.STOP), now_ms, ended=True)
            self.events.append(QuizEnded(self.id, stopped=True))
            return None
        later = self.questions[position + 1 :]  # none of them asked: every asked position comes before this one
        self.questions[position:] = [q.model_copy(update={"position": q.position - 1}) for q in later]
        self.session = self.session.model_copy(update={"question_count": len(self.questions), "updated_ms": now_ms})
        return None

    def grade(self, user_id: int, position: int, choice: int, now_ms: int, question: Question) -> StoredAnswer:
        """One member's answer to question ``position``, scored, if the rules take it now."""
        if not self.state.running:
            raise QuizOver()
        if not 0 <= position < len(self.questions) or self.questions[position].question_id != question.id:
            raise NotInThisQuiz("That question is not part of this quiz.")
        if not 0 <= choice < len(question.choices):
            raise NotInThisQuiz("That choice does not exist for this question.")
        asked = self.open_question
        if asked is None or asked.position != position or asked.asked_ms is None:
            raise QuestionClosed()
        if asked.deadline_ms is not None and now_ms > asked.deadline_ms:
            raise TimeUp()
        correct = choice == question.answer
        return StoredAnswer(
            session_id=self.id,
            position=position,
            user_id=user_id,
            guild_id=self.session.guild_id,
            topic=question.topic,
            choice=choice,
            correct=correct,
            points=score(correct, now_ms, asked.asked_ms, asked.deadline_ms or now_ms, self.session.rules),
            answered_ms=now_ms,
        )

    def _move(self, state: QuizState, now_ms: int, *, position: int | None = None, ended: bool = False) -> None:
        update: dict[str, object] = {"state": state, "updated_ms": now_ms}
        if position is not None:
            update["position"] = position
        if ended:
            update["ended_ms"] = now_ms
        self.session = self.session.model_copy(update=update)
