"""Quiz messages in the console: printed as they come, with the open question remembered for letter answers."""

from __future__ import annotations

import asyncio
import itertools

from rich.console import Console

from bot.console.view import render_reply
from bot.core.reply import Reply


class ConsolePublisher:
    def __init__(self, console: Console) -> None:
        self.console = console
        self._ids = itertools.count(1)
        self.open_question: Reply | None = None
        self.shown = 0
        """A count of replies with buttons put on screen (by this publisher or the console); see ``press N``."""
        self.question_shown = 0
        """``shown`` when the open question was printed."""
        self._question_posted = asyncio.Event()
        self._printed: dict[int, Reply] = {}

    async def post(self, channel_id: int, reply: Reply, nonce: str | None = None) -> int | None:
        self.console.print(render_reply(reply))
        message_id = next(self._ids)
        self._printed[message_id] = reply
        if _is_question(reply):
            self.open_question = reply
            self.shown += 1
            self.question_shown = self.shown
            self._question_posted.set()
        return message_id

    async def edit(self, channel_id: int, message_id: int, reply: Reply) -> bool:
        """A terminal cannot change what it printed, so an edit is printed anew, unless it changes nothing
        (a question posted again after a restart is edited to the same text)."""
        self.open_question = self.open_question if _is_question(reply) else None  # a reveal closes it
        if self._printed.get(message_id) != reply:
            self._printed[message_id] = reply
            self.console.print(render_reply(reply))
        return True

    def link(self, guild_id: int, channel_id: int, message_id: int | None) -> str:
        return "above"

    async def channel_guild(self, channel_id: int) -> int | None:
        """The console is one local server: every channel id belongs to it."""
        return 1

    async def wait_for_question(self) -> None:
        """Wait until a quiz question is on screen (after a start, before reading the next line)."""
        self._question_posted.clear()
        if self.open_question is None:
            await self._question_posted.wait()


def _is_question(reply: Reply) -> bool:
    """An open quiz question: its buttons answer it (a reveal's only button is "Read more")."""
    return bool(reply.buttons) and reply.buttons[0].action.startswith("qa:")
