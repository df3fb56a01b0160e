"""Quiz messages in the console: printed as they come, with the open question remembered for letter answers and
the latest message with buttons for ``press N`` (a reveal's "Report a problem")."""

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
        self._open_id: int | None = None
        self.shown = 0
        """A count of replies with buttons put on screen (by this publisher or the console); see ``press N``."""
        self.latest: Reply | None = None
        """The message with buttons this publisher printed last (a question, a reveal), while it still has them."""
        self.latest_shown = 0
        """``shown`` when ``latest`` was printed."""
        self._latest_id: int | None = None
        self._question_posted = asyncio.Event()
        self._printed: dict[int, Reply] = {}

    async def post(self, channel_id: int, reply: Reply, nonce: str | None = None) -> int | None:
        self.console.print(render_reply(reply))
        message_id = next(self._ids)
        self._printed[message_id] = reply
        self._has_buttons(message_id, reply)
        if _is_question(reply):
            self.open_question, self._open_id = reply, message_id
            self._question_posted.set()
        return message_id

    async def edit(self, channel_id: int, message_id: int, reply: Reply) -> bool:
        """A terminal cannot change what it printed, so an edit is printed anew, unless it changes nothing
        (a question posted again after a restart is edited to the same text). A question edited into its reveal
        is no longer open; the reveal's buttons are then the ones ``press N`` means."""
        if message_id == self._open_id and not _is_question(reply):
            self.open_question, self._open_id = None, None
        if self._printed.get(message_id) != reply:
            self._printed[message_id] = reply
            self.console.print(render_reply(reply))
            self._has_buttons(message_id, reply)
        return True

    def _has_buttons(self, message_id: int, reply: Reply) -> None:
        if reply.buttons:
            self.shown += 1
            self.latest, self.latest_shown, self._latest_id = reply, self.shown, message_id
        elif message_id == self._latest_id:
            self.latest, self._latest_id = None, None

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
    """An open quiz question: its buttons answer it (a reveal's buttons are Read more and Report a problem)."""
    return bool(reply.buttons) and reply.buttons[0].action.startswith("qa:")
