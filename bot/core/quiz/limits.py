"""Every quiz default and allowed range, declared once, as data.

Four places check quiz values: the environment settings (``QUIZ_*``), the per-server settings (their model,
their parsers and the "allowed" text people read), the quiz start command's option, and the schema's CHECKs.
When each kept its own numbers they drifted apart (seconds 5 to 120 in one, up to 600 in another), and a value
one place accepted was refused by the next. The Python ones now read their bounds from here; the SQL ones
cannot import, so ``tests/test_limits_agree.py`` reads the CHECKs back from migrated databases of both engines
and compares them, with the other three, to these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Generic, TypeVar

N = TypeVar("N", int, float)


@dataclass(frozen=True)
class Range(Generic[N]):
    """Allowed values from ``low`` to ``high`` (both included), and the one used when nobody chose."""

    low: N
    high: N
    default: N

    def __post_init__(self) -> None:
        if not self.low <= self.default <= self.high:
            raise ValueError(f"default {self.default} is outside {self.low} to {self.high}")

    @property
    def allowed(self) -> str:
        """The range as people read it, the same words in every reply that shows or refuses a value."""
        return f"{_number(self.low)} to {_number(self.high)}"

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int | float) and self.low <= value <= self.high

    def clamp(self, value: N) -> N:
        """The nearest allowed value (a stored value from before a range narrowed)."""
        return min(max(value, self.low), self.high)


def _number(value: float) -> str:
    """5.0 as 5, so a range of seconds in fractions reads like the whole-number ones."""
    return str(int(value)) if float(value).is_integer() else str(value)


QUESTIONS: Final = Range(1, 50, 10)
"""Questions per quiz. 50 keeps a quiz under an hour at the default pace and its results inside one embed."""
SECONDS: Final = Range(5, 120, 20)
"""Seconds to answer one question: under 5 nobody can read a question, over 120 a channel waits on one."""
POINTS: Final = Range(10, 1000, 100)
"""Points for a right answer; the speed bonus adds up to as much again, so the scale keeps totals readable."""
SPEED_BONUS: Final = True
"""Whether faster right answers score up to double points."""
DAILY_WINDOW_HOURS: Final = Range(1, 23, 12)
"""Hours a question of the day stays open: under a day, so one closes before the next is posted."""
REVEAL_SECONDS: Final = Range(0.0, 60.0, 5.0)
"""The pause after a reveal before the next question, so people can read the answer's explanation."""
