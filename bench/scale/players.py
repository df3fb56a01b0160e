"""The scale benchmark's load: a quiz started in every server, and every member answering every question.

Starts are spread evenly over ``--spread`` seconds. When a question appears, each of the server's members clicks
one of its answer buttons at a random moment in the first ``--answer-share`` of the question's time, each member
a different user (members of different servers are different people too, as in real servers). Nothing here waits
for an answer: every click's record is kept and read once the run is over, so the load generator's own cost stays
flat however many clicks are in flight.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.scale.fake import answer_buttons
from tests.fakediscord import FakeDiscord, InteractionHandle
from tests.fakediscord.gateway import GatewayClosed

JSON = dict[str, Any]
EPHEMERAL = 1 << 6


@dataclass(frozen=True)
class Server:
    guild_id: int
    channel_id: int
    first_user: int
    """Members are users ``first_user .. first_user + members - 1``."""


@dataclass
class Click:
    channel_id: int
    message_id: int
    user_id: int
    handle: InteractionHandle | None = None
    refused: str | None = None
    """Why the click could not be sent (the question was closed, no connection held its shard)."""

    @property
    def acknowledged(self) -> bool:
        callback = self.handle.record.callback if self.handle is not None else None
        if callback is None:
            return False
        data = callback.get("data") or {}
        embeds = data.get("embeds") or [{}]
        return bool(
            callback.get("type") == 4
            and int(data.get("flags") or 0) & EPHEMERAL
            and str(embeds[0].get("title", "")).startswith("Locked in")
        )

    @property
    def latency(self) -> float | None:
        return self.handle.latency if self.handle is not None else None


@dataclass
class Players:
    """Drives every server's quiz; ``clicks`` and ``starts`` are read after the run."""

    fake: FakeDiscord
    servers: dict[int, Server]
    """By channel id."""
    members: int
    answer_window: float
    rng: random.Random
    clicks: list[Click] = field(default_factory=list)
    starts: dict[int, InteractionHandle] = field(default_factory=dict)
    start_failures: Counter[str] = field(default_factory=Counter)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _member_payloads: dict[int, JSON] = field(default_factory=dict)

    def member(self, user_id: int) -> JSON:
        payload = self._member_payloads.get(user_id)
        if payload is None:
            payload = self._member_payloads[user_id] = self.fake.make_member(user_id, f"student{user_id}")
        return payload

    async def start_all(self, spread: float) -> None:
        """``/ketamine quiz start`` in every server, evenly spaced over ``spread`` seconds."""
        loop = asyncio.get_running_loop()
        began = loop.time()
        gap = spread / max(1, len(self.servers))
        for index, server in enumerate(self.servers.values()):
            delay = began + index * gap - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                self.starts[server.channel_id] = await self.fake.invoke(
                    "ketamine quiz start",
                    guild_id=server.guild_id,
                    channel_id=server.channel_id,
                    member=self.member(server.first_user),
                )
            except GatewayClosed as exc:
                self.start_failures[f"not sent: {exc}"] += 1

    def on_question(self, message: JSON) -> None:
        """Called by the fake as a question is posted: each member's click is scheduled at its own moment."""
        server = self.servers.get(int(message["channel_id"]))
        if server is None:
            return
        buttons = answer_buttons(message)
        loop = asyncio.get_running_loop()
        for offset in range(self.members):
            click = Click(server.channel_id, int(message["id"]), server.first_user + offset)
            self.clicks.append(click)
            delay = 0.2 + self.rng.random() * self.answer_window
            loop.call_later(delay, self._spawn, message, self.rng.choice(buttons), click)

    def _spawn(self, message: JSON, button: str, click: Click) -> None:
        task = asyncio.get_running_loop().create_task(self._click(message, button, click))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _click(self, message: JSON, button: str, click: Click) -> None:
        server = self.servers[click.channel_id]
        try:
            click.handle = await self.fake.click(
                message, button, member=self.member(click.user_id), guild_id=server.guild_id
            )
        except ValueError as exc:  # the button was disabled: the question closed before this member answered
            click.refused = f"question closed: {exc}"
        except GatewayClosed as exc:
            click.refused = f"no connection: {exc}"

    async def settle(self, within: float) -> None:
        """Wait for the clicks already spawned to be sent (their answers are read from the records later)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=within)

    def clicks_per_second(self) -> Counter[int]:
        """Clicks sent in each whole second of the run (wall clock), for the peak rate."""
        seconds: Counter[int] = Counter()
        for click in self.clicks:
            if click.handle is not None and click.handle.record.sent_at is not None:
                seconds[int(click.handle.record.sent_at)] += 1
        return seconds
