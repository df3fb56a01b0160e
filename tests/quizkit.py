"""Test doubles for the quiz: a clock the test moves by hand and a publisher that records what was posted."""

from __future__ import annotations

import asyncio
import contextlib
import itertools

from bot.core.reply import Reply


class FakeClock:
    """Time stands still until ``advance``; waiters wake when their time comes or their event is set."""

    def __init__(self, start_ms: int = 1_700_000_000_000) -> None:
        self._now = start_ms
        self._tick = asyncio.Event()

    def now_ms(self) -> int:
        return self._now

    async def advance(self, ms: int) -> None:
        self._now += ms
        tick, self._tick = self._tick, asyncio.Event()
        tick.set()
        for _ in range(20):  # let woken tasks run their database steps
            await asyncio.sleep(0.005)

    async def wait(self, until_ms: int, wake: asyncio.Event) -> None:
        while self._now < until_ms and not wake.is_set():
            ticked = asyncio.create_task(self._tick.wait())
            woken = asyncio.create_task(wake.wait())
            try:
                await asyncio.wait({ticked, woken}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in (ticked, woken):
                    task.cancel()
                # asyncio.wait, not ``await task`` under suppress(CancelledError): a cancellation of this task
                # arriving here (a job loop being stopped) must go on up, not be taken for the helper's own
                await asyncio.wait({ticked, woken})


class RecordingPublisher:
    """Posts and edits as Discord would (ids, ``enforce_nonce``, deleted messages), kept for the test to read.

    ``failing_posts``: errors the next posts raise, one each, before anything is posted, as when Discord has a bad
    day; the test injects them instead of replacing ``post``.
    """

    def __init__(self) -> None:
        self.failing_posts: list[BaseException] = []
        self.posts: list[tuple[int, int, Reply]] = []
        self.by_nonce: dict[str, int] = {}
        self.edits: list[tuple[int, int, Reply]] = []
        self.deleted: set[int] = set()
        self.channel_guilds: dict[int, int] = {}
        """Channel id -> server id; channels not listed belong to server 10."""
        self._ids = itertools.count(500)
        self.changed = asyncio.Event()
        self.dies_after_posting = 0
        """The next this many question posts reach the channel, then raise: the bot died before learning the
        message's id (a crash between posting and storing it)."""

    async def post(self, channel_id: int, reply: Reply, nonce: str | None = None) -> int | None:
        if self.failing_posts:
            raise self.failing_posts.pop(0)
        if nonce is not None and nonce in self.by_nonce:
            return self.by_nonce[nonce]  # as Discord does with enforce_nonce
        message_id = next(self._ids)
        if nonce is not None:
            self.by_nonce[nonce] = message_id
        self.posts.append((channel_id, message_id, reply))
        self.changed.set()
        if self.dies_after_posting and reply.title.startswith("Question"):
            self.dies_after_posting -= 1
            raise RuntimeError("killed after posting, before the message id was stored")
        return message_id

    async def edit(self, channel_id: int, message_id: int, reply: Reply) -> bool:
        if message_id in self.deleted:
            return False
        self.edits.append((channel_id, message_id, reply))
        self.changed.set()
        return True

    def link(self, guild_id: int, channel_id: int, message_id: int | None) -> str:
        return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"

    async def channel_guild(self, channel_id: int) -> int | None:
        return self.channel_guilds.get(channel_id, 10)

    def titles(self) -> list[str]:
        return [reply.title for _, _, reply in self.posts]

    def last_question(self) -> tuple[int, Reply]:
        for _, message_id, reply in reversed(self.posts):
            if reply.buttons and reply.buttons[0].action.startswith("qa:"):
                return message_id, reply
        raise AssertionError("no question posted")

    async def wait_until(self, predicate: object, timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while not predicate():  # type: ignore[operator]
                self.changed.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(0.05):
                        await self.changed.wait()
