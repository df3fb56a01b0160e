"""The review command as data: ``/<module> review [topic]``."""

from __future__ import annotations

from bot.core.content.library import ContentModule
from bot.services.catalog import CommandSpec, Handler, OptionSpec


def review_specs(module: ContentModule, review: Handler) -> list[CommandSpec]:
    """Not server-only: a member's cards are theirs, so reviewing works in direct messages as well."""
    if not module.questions:
        return []
    topics = module.question_topics
    return [
        CommandSpec(
            module.id,
            "review",
            "Review your due cards (spaced repetition), or practise questions you have not seen",
            (OptionSpec("topic", "Only cards on this topic", choices=topics[:25]),),
            handler=review,
        )
    ]
