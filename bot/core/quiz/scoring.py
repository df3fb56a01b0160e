"""Scoring and ranking: points for an answer, the early-reveal rule, standings, streaks, the leaderboard week.

A wrong answer scores 0. A right answer scores the base points, plus (when the speed bonus is on) a bonus that
starts equal to the base points when the question opens and falls linearly to zero at the deadline:
``points = base + round(base × time_left / time_allowed)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.quiz.model import QuizRules


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
