"""What a new quiz or question of the day is: its rules and questions, worked out from what was asked for."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from bot.core.content.library import ContentModule
from bot.core.content.models import Question
from bot.core.errors import InvalidInput, NotFound
from bot.core.quiz import limits
from bot.core.quiz.model import NewSession, QuizKind, QuizRules
from bot.core.quiz.selection import pick_questions
from bot.services.catalog import Caller, OptionValue
from bot.services.config import ServiceSettings
from bot.storage.repositories.study import StudyChannel

DEFAULT_RULES = QuizRules(limits.QUESTIONS.default, limits.SECONDS.default, limits.POINTS.default, limits.SPEED_BONUS)


@dataclass(frozen=True)
class QuizDefaults:
    """Defaults until per-server settings exist: questions per quiz, seconds per question, points, bonus."""

    rules: QuizRules = DEFAULT_RULES
    reveal_seconds: float = limits.REVEAL_SECONDS.default


def quiz_defaults(settings: ServiceSettings) -> QuizDefaults:
    rules = QuizRules(settings.quiz_questions, settings.quiz_seconds, settings.quiz_points, settings.quiz_speed_bonus)
    return QuizDefaults(rules=rules, reveal_seconds=settings.quiz_reveal_seconds)


def new_quiz(
    caller: Caller,
    module: ContentModule,
    options: Mapping[str, OptionValue],
    base: QuizRules,
    pool: tuple[str, ...],
    topic: str | None,
    hidden: frozenset[str] = frozenset(),
) -> tuple[NewSession, list[Question]]:
    """A quiz as the starter asked for it: their filters over the server's topic pool, in a fresh random order,
    without the questions the server hid."""
    assert caller.guild_id is not None and caller.channel_id is not None
    if not module.questions:
        raise NotFound(f"/{module.id} has no quiz questions yet.")
    if topic is not None and module.topic(topic) is None:
        raise InvalidInput(f"There is no topic `{topic}`. Use /{module.id} topics to see them.")
    count = int(options.get("questions", base.question_count))
    difficulty = options.get("difficulty")
    seed = secrets.randbits(48)
    bank = [q for q in module.questions if (topic is not None or not pool or q.topic in pool) and q.id not in hidden]
    chosen = pick_questions(bank, count, seed, topic, None if difficulty is None else int(difficulty))
    new = NewSession(
        guild_id=caller.guild_id,
        channel_id=caller.channel_id,
        starter_id=caller.user_id,
        module=module.id,
        topic=topic,
        difficulty=None if difficulty is None else int(difficulty),
        rules=QuizRules(len(chosen), base.seconds, base.points, base.speed_bonus),
        seed=seed,
    )
    return new, chosen


def new_daily(
    channel: StudyChannel,
    module: ContentModule,
    rules: QuizRules,
    pool: tuple[str, ...],
    usage: Mapping[str, int],
    day: str,
    closes_ms: int,
    seed: int,
    hidden: frozenset[str] = frozenset(),
) -> tuple[NewSession, Question] | None:
    """A channel's question of the day: from its topic (or the server's pool), the least used one first, so a
    channel sees no repeat until its pool is used up; never one the server hid. None when no question fits."""
    topic = channel.topic
    bank = [
        q
        for q in module.questions
        if (q.topic == topic if topic else (not pool or q.topic in pool)) and q.id not in hidden
    ]
    if not bank:
        return None
    least = min(usage.get(q.id, 0) for q in bank)
    fresh = [q for q in bank if usage.get(q.id, 0) == least]
    (question,) = pick_questions(fresh, 1, seed)
    new = NewSession(
        guild_id=channel.guild_id,
        channel_id=channel.channel_id,
        starter_id=0,
        module=module.id,
        topic=topic,
        difficulty=None,
        # The closing time comes from the window (closes_ms), not from seconds: the server's seconds are stored
        # for the record, a value inside the range the schema allows like every other session's.
        rules=QuizRules(1, rules.seconds, rules.points, rules.speed_bonus),
        seed=seed,
        kind=QuizKind.DAILY,
        closes_ms=closes_ms,
        daily_day=day,
    )
    return new, question
