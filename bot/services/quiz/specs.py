"""The quiz's commands as data: names, descriptions, options and their limits."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.content.library import ContentModule
from bot.core.quiz.limits import QUESTIONS
from bot.services.catalog import CommandSpec, Handler, OptionSpec, admin_group


@dataclass(frozen=True)
class QuizHandlers:
    start: Handler
    stop: Handler
    status: Handler
    close_daily: Handler
    leaderboard: Handler
    stats: Handler


def quiz_specs(module: ContentModule, default_questions: int, handlers: QuizHandlers) -> list[CommandSpec]:
    if not module.questions:
        return []
    topics = module.question_topics
    return [
        CommandSpec(
            module.id,
            "quiz start",
            "Start a quiz in this channel; anyone here can answer",
            (
                OptionSpec(
                    "questions",
                    f"How many questions ({QUESTIONS.allowed}; default {default_questions})",
                    kind="integer",
                    min_value=QUESTIONS.low,
                    max_value=QUESTIONS.high,
                ),
                OptionSpec("topic", "Only questions on this topic", choices=topics[:25]),
                OptionSpec(
                    "difficulty", "Only this difficulty (1 easy, 3 hard)", kind="integer", min_value=1, max_value=3
                ),
            ),
            guild_only=True,
            handler=handlers.start,
        ),
        CommandSpec(
            module.id,
            "quiz stop",
            "Stop this channel's quiz (its starter or Manage Server)",
            guild_only=True,
            handler=handlers.stop,
        ),
        CommandSpec(
            admin_group(module.id),
            "quiz close-daily",
            "Reveal this channel's question of the day now, before its window ends",
            guild_only=True,
            handler=handlers.close_daily,
        ),
        CommandSpec(
            module.id, "quiz status", "Where this channel's quiz is up to", guild_only=True, handler=handlers.status
        ),
        CommandSpec(
            module.id,
            "leaderboard",
            "Top 10, all time and this week, in this server or this channel",
            (OptionSpec("scope", "The whole server (default) or this channel", choices=("server", "channel")),),
            guild_only=True,
            handler=handlers.leaderboard,
        ),
        CommandSpec(
            module.id,
            "stats",
            "Quiz stats in this server: yours, or another member's",
            (OptionSpec("member", "Whose stats (default: yours)", kind="user"),),
            guild_only=True,
            handler=handlers.stats,
        ),
    ]
