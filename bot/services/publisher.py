"""The publisher port: how quiz messages reach a channel. Each adapter implements it (a Discord channel, the
console's screen); the services only ever see this protocol."""

from __future__ import annotations

import hashlib
from typing import Protocol

from bot.core.quiz.model import QuizSession
from bot.core.reply import Reply


class Publisher(Protocol):
    async def post(self, channel_id: int, reply: Reply, nonce: str | None = None) -> int | None:
        """Post a message; return its id, or None when the channel cannot be posted to.

        ``nonce`` makes the post idempotent for a few minutes: posting again with the same nonce returns the
        first message instead of a second one (Discord's ``enforce_nonce``), so a post retried after a crash
        between posting and recording the message id shows up once.
        """
        ...

    async def edit(self, channel_id: int, message_id: int, reply: Reply) -> bool:
        """Replace a message; False when it no longer exists."""
        ...

    def link(self, guild_id: int, channel_id: int, message_id: int | None) -> str:
        """Where a user can find a message (a jump URL on Discord)."""
        ...

    async def channel_guild(self, channel_id: int) -> int | None:
        """The server a channel belongs to, or None when the bot cannot see it."""
        ...


def message_nonce(session: QuizSession, what: str, position: int = 0) -> str:
    """The same 24 characters every time this message of this quiz is posted, and no other message's.

    The session's random seed is part of it, so a quiz of a restored or reset database, which may reuse
    session ids, never gets an older quiz's message back.
    """
    key = f"{session.id}:{session.seed}:{what}:{position}".encode()
    return hashlib.blake2b(key, digest_size=12).hexdigest()
