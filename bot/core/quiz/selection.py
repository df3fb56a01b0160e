"""Which questions a quiz asks: the filters a starter chose, in an order fixed by the session's stored seed,
so a resumed quiz asks the same questions in the same order."""

from __future__ import annotations

import random
from collections.abc import Sequence

from bot.core.content.models import Question
from bot.core.errors import InvalidInput


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
