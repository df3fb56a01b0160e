"""One quiz session as a state machine, plus question selection and scoring. No I/O, no clock: callers pass times.

States: ``lobby`` (created, first question not yet posted) → ``asking`` (a question is open) →
``revealing`` (its answer is shown) → ``asking`` for the next question … → ``finished``. ``stopped`` ends a
quiz early from any running state.

Scoring: a wrong answer scores 0. A right answer scores the base points, plus (when the speed bonus is
on) a bonus that starts equal to the base points when the question opens and falls linearly to zero at
the deadline: ``points = base + round(base × time_left / time_allowed)``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.core.content.models import Question
from bot.core.errors import InvalidInput


class QuizState(StrEnum):
    LOBBY = "lobby"
    ASKING = "asking"
    REVEALING = "revealing"
    FINISHED = "finished"
    STOPPED = "stopped"

    @property
    def running(self) -> bool:
        return self in RUNNING


RUNNING = frozenset({QuizState.LOBBY, QuizState.ASKING, QuizState.REVEALING})


class QuizEvent(StrEnum):
    ASK = "ask"
    REVEAL = "reveal"
    FINISH = "finish"
    STOP = "stop"


_TRANSITIONS: dict[tuple[QuizState, QuizEvent], QuizState] = {
    (QuizState.LOBBY, QuizEvent.ASK): QuizState.ASKING,
    (QuizState.ASKING, QuizEvent.REVEAL): QuizState.REVEALING,
    (QuizState.REVEALING, QuizEvent.ASK): QuizState.ASKING,
    (QuizState.REVEALING, QuizEvent.FINISH): QuizState.FINISHED,
    (QuizState.LOBBY, QuizEvent.STOP): QuizState.STOPPED,
    (QuizState.ASKING, QuizEvent.STOP): QuizState.STOPPED,
    (QuizState.REVEALING, QuizEvent.STOP): QuizState.STOPPED,
}


class InvalidTransition(RuntimeError):
    """A state change the quiz does not allow (a bug or a race; never shown to users as is)."""


def transition(state: QuizState, event: QuizEvent) -> QuizState:
    try:
        return _TRANSITIONS[(state, event)]
    except KeyError:
        raise InvalidTransition(f"cannot {event.value} a quiz that is {state.value}") from None


@dataclass(frozen=True)
class QuizRules:
    """The settings a session runs with, stored with it so a resumed quiz behaves the same."""

    question_count: int
    seconds: int
    points: int
    speed_bonus: bool


def pick_questions(
    bank: Sequence[Question], count: int, seed: int, topic: str | None = None, difficulty: int | None = None
) -> list[Question]:
    """Up to ``count`` distinct questions matching the filters, in an order fixed by ``seed``."""
    pool = sorted(
        (q for q in bank if (topic is None or q.topic == topic) and (difficulty is None or q.difficulty == difficulty)),
        key=lambda q: q.id,
    )
    if not pool:
        wanted = " and ".join(
            part for part in (topic and f"topic {topic}", difficulty and f"difficulty {difficulty}") if part
        )
        raise InvalidInput(f"No questions match {wanted or 'that choice'}. Try another topic or difficulty.")
    random.Random(seed).shuffle(pool)
    return pool[:count]


def score(correct: bool, answered_ms: int, asked_ms: int, deadline_ms: int, rules: QuizRules) -> int:
    if not correct:
        return 0
    if not rules.speed_bonus or deadline_ms <= asked_ms:
        return rules.points
    left = min(max(deadline_ms - answered_ms, 0), deadline_ms - asked_ms)
    return rules.points + round(rules.points * left / (deadline_ms - asked_ms))


def reveal_early(position: int, earlier_players: set[int], answered_now: set[int]) -> bool:
    """Reveal before the deadline once everyone who played an earlier question has answered this one.

    The first question always runs to its deadline: until then nobody knows who is playing.
    """
    return position > 0 and bool(earlier_players) and earlier_players <= answered_now


@dataclass(frozen=True)
class AnswerRecord:
    user_id: int
    position: int
    choice: int
    correct: bool
    points: int
    answered_ms: int
    asked_ms: int


@dataclass(frozen=True)
class Standing:
    user_id: int
    points: int
    answered: int
    correct: int
    fastest_ms: int | None

    @property
    def accuracy(self) -> float:
        return self.correct / self.answered if self.answered else 0.0


def standings(answers: Sequence[AnswerRecord]) -> list[Standing]:
    """Rank players: most points, then best accuracy, then fastest correct answer, then user id."""
    by_user: dict[int, list[AnswerRecord]] = {}
    for answer in answers:
        by_user.setdefault(answer.user_id, []).append(answer)
    table = []
    for user_id, mine in by_user.items():
        right = [a.answered_ms - a.asked_ms for a in mine if a.correct]
        table.append(
            Standing(
                user_id=user_id,
                points=sum(a.points for a in mine),
                answered=len(mine),
                correct=len(right),
                fastest_ms=min(right) if right else None,
            )
        )
    return sorted(
        table,
        key=lambda s: (-s.points, -s.accuracy, s.fastest_ms if s.fastest_ms is not None else 1 << 62, s.user_id),
    )


def best_streak(correct_in_order: Sequence[bool]) -> int:
    """The longest run of right answers."""
    best = run = 0
    for correct in correct_in_order:
        run = run + 1 if correct else 0
        best = max(best, run)
    return best


def week_start_ms(now_ms: int) -> int:
    """Monday 00:00 UTC of the week containing ``now_ms`` (1970-01-01 was a Thursday)."""
    day = 86_400_000
    days = now_ms // day
    return (days - (days + 3) % 7) * day
