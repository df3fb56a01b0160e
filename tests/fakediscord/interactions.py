"""What the fake remembers about each interaction it sent, and the handle tests use to look at the bot's answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .payloads import FLAG_LOADING, JSON

if TYPE_CHECKING:
    from .fake import FakeDiscord


@dataclass
class InteractionRecord:
    id: int
    token: str
    type: int
    payload: JSON
    sent_at: float | None = None
    """Event-loop time at which the INTERACTION_CREATE frame was written to the websocket."""
    callback: JSON | None = None
    """The accepted ``{"type": ..., "data": ...}`` callback body (None until acknowledged)."""
    callback_at: float | None = None
    original_message_id: int | None = None
    component_message_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    rejected_callbacks: list[JSON] = field(default_factory=list)
    """Callback bodies the fake refused (late, duplicate, invalid), in order."""


class InteractionHandle:
    """Returned by ``FakeDiscord.invoke/autocomplete/click/select/submit_modal``."""

    def __init__(self, fake: FakeDiscord, record: InteractionRecord) -> None:
        self._fake = fake
        self.record = record

    def __repr__(self) -> str:
        return f"<InteractionHandle id={self.id} type={self.record.type} callback={self.record.callback!r}>"

    @property
    def id(self) -> int:
        return self.record.id

    @property
    def token(self) -> str:
        return self.record.token

    @property
    def payload(self) -> JSON:
        """The INTERACTION_CREATE payload that was sent."""
        return self.record.payload

    @property
    def acknowledged(self) -> bool:
        return self.record.callback is not None

    @property
    def latency(self) -> float | None:
        """Seconds from sending the interaction to receiving the accepted callback."""
        rec = self.record
        if rec.sent_at is None or rec.callback_at is None:
            return None
        return rec.callback_at - rec.sent_at

    @property
    def message(self) -> JSON | None:
        """The interaction's message: created by a type 4/5 callback, or the clicked one for 6/7 (live dict)."""
        mid = self.record.original_message_id
        return None if mid is None else self._fake.messages.get(mid)

    @property
    def choices(self) -> list[JSON] | None:
        """Autocomplete choices of a type-8 callback."""
        cb = self.record.callback
        if cb is None or cb.get("type") != 8:
            return None
        choices: list[JSON] = (cb.get("data") or {}).get("choices", [])
        return choices

    def followup_messages(self) -> list[JSON]:
        return [self._fake.messages[m] for m in self.record.followup_ids if m in self._fake.messages]

    async def response(self, timeout: float = 5.0) -> JSON:
        """Wait for the accepted callback and return its JSON body (``type`` + ``data``)."""
        await self._fake.wait_for(lambda: self.record.callback is not None, timeout, f"a callback for {self!r}")
        assert self.record.callback is not None
        return self.record.callback

    async def followups(self, n: int = 1, timeout: float = 5.0) -> list[JSON]:
        """Wait until at least ``n`` followup messages were sent; return all of them (oldest first)."""
        await self._fake.wait_for(lambda: len(self.followup_messages()) >= n, timeout, f"{n} followup(s) for {self!r}")
        return self.followup_messages()

    async def wait_message(self, predicate: Callable[[JSON], Any] | None = None, timeout: float = 5.0) -> JSON:
        """Wait for the interaction's message to exist, not be "thinking…" any more, and match ``predicate``."""

        def done() -> bool:
            msg = self.message
            if msg is None or int(msg.get("flags", 0)) & FLAG_LOADING:
                return False
            return predicate is None or bool(predicate(msg))

        await self._fake.wait_for(done, timeout, f"the message of {self!r}")
        msg = self.message
        assert msg is not None
        return msg
