"""The fake gateway: HELLO, IDENTIFY -> READY + GUILD_CREATE, heartbeats, RESUME, dispatching events, shards.

Frames are sent as uncompressed TEXT even though discord.py asks for ``compress=zlib-stream`` (it accepts
both). Every connection has one writer task fed by a queue, so events keep their order and sequence numbers,
and synchronous code (``FakeDiscord.add_guild``) can enqueue events.

Sharding as Discord does it: the fake runs as ``fake.shard_count`` shards; each IDENTIFY's ``shard: [id, count]``
holds one of them (a later IDENTIFY of the same shard takes it over), and a server's events go only to the
connection holding shard ``(guild_id >> 22) % count``, direct messages to shard 0. An IDENTIFY naming another
count or a shard outside it is closed with 4010 (invalid shard); one without ``shard`` holds shard 0 of 1, and is
closed with 4011 (sharding required) when the fake runs as more.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .jsoncodec import dumps_text
from .payloads import JSON

if TYPE_CHECKING:
    from .fake import FakeDiscord

log = logging.getLogger(__name__)

OP_DISPATCH = 0
OP_HEARTBEAT = 1
OP_IDENTIFY = 2
OP_PRESENCE_UPDATE = 3
OP_VOICE_STATE_UPDATE = 4
OP_RESUME = 6
OP_RECONNECT = 7
OP_REQUEST_GUILD_MEMBERS = 8
OP_INVALID_SESSION = 9
OP_HELLO = 10
OP_HEARTBEAT_ACK = 11

CLOSE_UNKNOWN_ERROR = 4000
CLOSE_UNKNOWN_OPCODE = 4001
CLOSE_DECODE_ERROR = 4002
CLOSE_NOT_AUTHENTICATED = 4003
CLOSE_ALREADY_AUTHENTICATED = 4005
CLOSE_INVALID_SHARD = 4010
CLOSE_SHARDING_REQUIRED = 4011

INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12


class GatewayClosed(ConnectionError):
    """The connection closed before a queued frame could be written."""


@dataclass
class GatewaySession:
    session_id: str
    intents: int
    shard: list[int] | None = None
    seq: int = 0
    invalid: bool = False
    guild_ids: set[int] = field(default_factory=set)
    """Guilds this session has been told about (so a RESUME can catch up on guilds added/removed meanwhile)."""
    dispatched: list[tuple[str, int | None]] = field(default_factory=list)
    """Every event dispatched to this session, with the guild it was about (None: not about one guild)."""

    @property
    def shard_id(self) -> int:
        """The shard this session holds (0 for an unsharded IDENTIFY)."""
        return 0 if self.shard is None else int(self.shard[0])

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq


@dataclass
class _Frame:
    text: str | None
    on_sent: Callable[[], None] | None = None
    done: asyncio.Future[None] | None = None


@dataclass
class GatewayConnection:
    ws: web.WebSocketResponse
    number: int
    session: GatewaySession | None = None
    queue: asyncio.Queue[_Frame | None] = field(default_factory=asyncio.Queue)
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    writer: asyncio.Task[None] | None = None
    received: list[JSON] = field(default_factory=list)
    ready: bool = False
    """READY (or RESUMED) and every GUILD_CREATE that followed have been written."""

    def send(self, op: int, d: Any, *, on_sent: Callable[[], None] | None = None) -> asyncio.Future[None]:
        return self._put({"op": op, "d": d, "s": None, "t": None}, on_sent)

    def dispatch(self, event: str, d: JSON, *, on_sent: Callable[[], None] | None = None) -> asyncio.Future[None]:
        assert self.session is not None, "dispatch before IDENTIFY"
        guild_id = d.get("guild_id") if event not in _GUILD_EVENTS else d.get("id")
        self.session.dispatched.append((event, int(guild_id) if guild_id is not None else None))
        return self._put({"op": OP_DISPATCH, "d": d, "s": self.session.next_seq(), "t": event}, on_sent)

    def marker(self, on_sent: Callable[[], None]) -> asyncio.Future[None]:
        """Run ``on_sent`` once everything queued before it has been written."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.queue.put_nowait(_Frame(None, on_sent, future))
        return future

    def _put(self, frame: JSON, on_sent: Callable[[], None] | None) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.closed.is_set():
            future.set_exception(GatewayClosed("gateway connection is closed"))
            future.exception()  # mark retrieved: callers that fire-and-forget must not warn
            return future
        self.queue.put_nowait(_Frame(dumps_text(frame), on_sent, future))
        return future

    async def run_writer(self) -> None:
        try:
            while (frame := await self.queue.get()) is not None:
                try:
                    if frame.text is not None:
                        if frame.on_sent is not None:
                            frame.on_sent()
                        await self.ws.send_str(frame.text)
                    elif frame.on_sent is not None:
                        frame.on_sent()
                except (ConnectionError, RuntimeError) as exc:
                    self._fail(frame, exc)
                    break
                if frame.done is not None and not frame.done.done():
                    frame.done.set_result(None)
        finally:
            self.closed.set()
            while not self.queue.empty():
                pending = self.queue.get_nowait()
                if pending is not None:
                    self._fail(pending, GatewayClosed("gateway connection closed"))

    @staticmethod
    def _fail(frame: _Frame, exc: BaseException) -> None:
        if frame.done is not None and not frame.done.done():
            frame.done.set_exception(GatewayClosed(str(exc) or type(exc).__name__))
            frame.done.exception()


_GUILD_EVENTS = frozenset({"GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE"})
"""Events whose payload is the guild itself (its id in ``id``, not ``guild_id``)."""


class GatewayServer:
    """All gateway state of one FakeDiscord: sessions, connections and which one currently holds each shard."""

    def __init__(self, fake: FakeDiscord, heartbeat_interval: int = 41250) -> None:
        self.fake = fake
        self.heartbeat_interval = heartbeat_interval
        self.sessions: dict[str, GatewaySession] = {}
        self.connections: list[GatewayConnection] = []
        self.shards: dict[int, GatewayConnection] = {}
        """Shard id -> the connection holding it now (the last to IDENTIFY or RESUME as that shard)."""
        self.refused: list[tuple[list[int] | None, int]] = []
        """IDENTIFYs refused for their shard: (the ``shard`` they sent, the close code)."""
        self.presence_updates: list[JSON] = []
        self.connection_count = 0

    @property
    def active(self) -> GatewayConnection | None:
        """The connection holding shard 0: the whole bot when it runs as one shard."""
        return self.shards.get(0)

    def shard_of(self, guild_id: int | None) -> int:
        """The shard a guild's events go to (Discord's formula); direct messages go to shard 0."""
        return 0 if guild_id is None else (guild_id >> 22) % self.fake.shard_count

    def holder(self, shard_id: int) -> GatewayConnection | None:
        """The open, identified connection holding ``shard_id``, if any."""
        conn = self.shards.get(shard_id)
        if conn is None or conn.session is None or conn.closed.is_set():
            return None
        return conn

    def is_ready(self, shards: Iterable[int] | None = None, *, since: int = 0) -> bool:
        """Every shard of ``shards`` (default: all of ``fake.shard_count``) is held by a connection numbered above
        ``since`` (``connection_count`` before a bot started) that has been sent READY and every GUILD_CREATE."""
        wanted = range(self.fake.shard_count) if shards is None else shards
        for shard_id in wanted:
            conn = self.holder(shard_id)
            if conn is None or not conn.ready or conn.number <= since:
                return False
        return True

    # -- connection handling ----------------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        self.connection_count += 1
        conn = GatewayConnection(ws=ws, number=self.connection_count)
        self.connections.append(conn)
        conn.writer = asyncio.create_task(conn.run_writer(), name=f"fakediscord-gateway-writer-{conn.number}")
        conn.send(OP_HELLO, {"heartbeat_interval": self.heartbeat_interval, "_trace": ["fake-gateway"]})
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._on_text(conn, msg.data)
                elif msg.type is WSMsgType.BINARY:
                    await ws.close(code=CLOSE_DECODE_ERROR, message=b"Binary frames are not supported")
                elif msg.type is WSMsgType.ERROR:
                    break
        finally:
            await self._forget(conn)
        return ws

    async def _forget(self, conn: GatewayConnection) -> None:
        conn.queue.put_nowait(None)
        if conn.writer is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(conn.writer), timeout=2)
            if not conn.writer.done():
                conn.writer.cancel()
        conn.closed.set()
        if conn in self.connections:
            self.connections.remove(conn)
        for shard_id, holder in list(self.shards.items()):
            if holder is conn:
                del self.shards[shard_id]
                self._fall_back(shard_id)
        self.fake.notify()

    async def _on_text(self, conn: GatewayConnection, text: str) -> None:
        try:
            payload = json.loads(text)
            op = payload["op"]
        except (ValueError, KeyError, TypeError):
            await conn.ws.close(code=CLOSE_DECODE_ERROR, message=b"Error while decoding payload.")
            return
        conn.received.append(payload)
        d = payload.get("d")
        if op == OP_HEARTBEAT:
            conn.send(OP_HEARTBEAT_ACK, None)
        elif op == OP_IDENTIFY:
            if conn.session is not None:
                await conn.ws.close(code=CLOSE_ALREADY_AUTHENTICATED, message=b"Already authenticated.")
                return
            refusal = self._shard_refusal((d or {}).get("shard"))
            if refusal is not None:
                self.refused.append(((d or {}).get("shard"), refusal[0]))
                self.fake.notify()
                await conn.ws.close(code=refusal[0], message=refusal[1])
                return
            self._identify(conn, d or {})
        elif op == OP_RESUME:
            self._resume(conn, d or {})
        elif conn.session is None:
            await conn.ws.close(code=CLOSE_NOT_AUTHENTICATED, message=b"Not authenticated.")
        elif op == OP_PRESENCE_UPDATE:
            self.presence_updates.append(d)
        elif op == OP_REQUEST_GUILD_MEMBERS:
            self._members_chunk(conn, d or {})
        elif op == OP_VOICE_STATE_UPDATE:
            pass
        else:
            await conn.ws.close(code=CLOSE_UNKNOWN_OPCODE, message=b"Unknown opcode.")

    def _shard_refusal(self, shard: object) -> tuple[int, bytes] | None:
        """The close code and reason for an IDENTIFY's ``shard``, or None when the fake accepts it."""
        count = self.fake.shard_count
        if shard is None:
            return None if count == 1 else (CLOSE_SHARDING_REQUIRED, b"Sharding required.")
        valid = (
            isinstance(shard, list)
            and len(shard) == 2
            and all(isinstance(n, int) and not isinstance(n, bool) for n in shard)
            and shard[1] == count
            and 0 <= shard[0] < count
        )
        return None if valid else (CLOSE_INVALID_SHARD, b"Invalid shard.")

    def _guilds_of(self, shard_id: int) -> dict[int, JSON]:
        return {gid: g for gid, g in self.fake.guilds.items() if self.shard_of(gid) == shard_id}

    def _identify(self, conn: GatewayConnection, d: JSON) -> None:
        fake = self.fake
        fake.identify_count += 1
        session = GatewaySession(session_id=uuid.uuid4().hex, intents=int(d.get("intents", 0)), shard=d.get("shard"))
        self.sessions[session.session_id] = session
        conn.session = session
        self._activate(conn)
        mine = self._guilds_of(session.shard_id)
        guilds = list(mine.values())
        session.guild_ids = set(mine)
        ready: JSON = {
            "v": 10,
            "user": fake.bot_user,
            "guilds": [{"id": g["id"], "unavailable": True} for g in guilds],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": fake.gateway_url,
            "application": {"id": str(fake.application_id), "flags": fake.application_flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
            "_trace": ["fake-gateway"],
        }
        if session.shard is not None:
            ready["shard"] = session.shard
        conn.dispatch("READY", ready)
        for guild in guilds:
            conn.dispatch("GUILD_CREATE", guild)
        conn.marker(lambda: self._mark_ready(conn))

    def _resume(self, conn: GatewayConnection, d: JSON) -> None:
        session = self.sessions.get(str(d.get("session_id")))
        if session is None or session.invalid:
            conn.send(OP_INVALID_SESSION, False)
            return
        self.fake.resume_count += 1
        conn.session = session
        self._activate(conn)
        # Events are not buffered while no bot is attached (dispatching then raises), so there is nothing to
        # replay -- except guilds added/removed in the meantime, which are announced after RESUMED.
        conn.dispatch("RESUMED", {"_trace": ["fake-gateway"]})
        mine = self._guilds_of(session.shard_id)
        for guild_id, guild in mine.items():
            if guild_id not in session.guild_ids:
                conn.dispatch("GUILD_CREATE", guild)
        for guild_id in session.guild_ids - mine.keys():
            conn.dispatch("GUILD_DELETE", {"id": str(guild_id), "unavailable": False})
        session.guild_ids = set(mine)
        conn.marker(lambda: self._mark_ready(conn))

    def _activate(self, conn: GatewayConnection) -> None:
        assert conn.session is not None
        conn.ready = False
        self.shards[conn.session.shard_id] = conn
        self.fake.notify()

    def _mark_ready(self, conn: GatewayConnection) -> None:
        if conn.session is not None and self.shards.get(conn.session.shard_id) is conn and not conn.closed.is_set():
            conn.ready = True
            self.fake.notify()

    def _fall_back(self, shard_id: int) -> None:
        """The connection holding ``shard_id`` closed while another, ready one for that shard is still open (several
        bot processes on one unsharded fake): the shard's events go to the newest of those from now on, as if its
        process now held every server of the shard."""
        for other in reversed(self.connections):
            session = other.session
            if other.ready and session is not None and session.shard_id == shard_id and not other.closed.is_set():
                self.shards[shard_id] = other
                return

    def _members_chunk(self, conn: GatewayConnection, d: JSON) -> None:
        guild_id = str(d.get("guild_id"))
        guild = self.fake.guilds.get(int(guild_id)) if guild_id.isdigit() else None
        chunk: JSON = {
            "guild_id": guild_id,
            "members": list(guild["members"]) if guild else [],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if d.get("nonce") is not None:
            chunk["nonce"] = d["nonce"]
        conn.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    # -- used by FakeDiscord ----------------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """Some connection holds a shard."""
        return any(self.holder(shard_id) is not None for shard_id in list(self.shards))

    def dispatch(
        self, event: str, d: JSON, *, guild_id: int | None = None, on_sent: Callable[[], None] | None = None
    ) -> asyncio.Future[None]:
        """Send a DISPATCH to the connection holding ``guild_id``'s shard (shard 0 for None, a DM). Raises if no
        bot holds it."""
        shard_id = self.shard_of(guild_id)
        conn = self.holder(shard_id)
        if conn is None:
            raise GatewayClosed(
                f"no bot holds shard {shard_id} of {self.fake.shard_count} on the fake gateway "
                "(did it start? call wait_ready())"
            )
        return conn.dispatch(event, d, on_sent=on_sent)

    def guild_added(self, guild: JSON) -> None:
        """GUILD_CREATE right away to the guild's shard if a bot holds it (otherwise READY or RESUME includes it)."""
        conn = self.holder(self.shard_of(int(guild["id"])))
        if conn is not None:
            assert conn.session is not None
            conn.session.guild_ids.add(int(guild["id"]))
            conn.dispatch("GUILD_CREATE", guild)

    def guild_removed(self, guild_id: int) -> None:
        conn = self.holder(self.shard_of(guild_id))
        if conn is not None:
            assert conn.session is not None
            conn.session.guild_ids.discard(guild_id)
            conn.dispatch("GUILD_DELETE", {"id": str(guild_id), "unavailable": False})

    def dispatch_if_intent(self, event: str, d: JSON, intent: int) -> None:
        """Fire-and-forget dispatch of a side-effect event to its guild's shard, if that session asked for
        ``intent``."""
        guild_id = d.get("guild_id")
        conn = self.holder(self.shard_of(int(guild_id) if guild_id is not None else None))
        if conn is None or conn.session is None:
            return
        if conn.session.intents & intent:
            conn.dispatch(event, d)

    async def drop(self, *, resume: bool = True, timeout: float = 5.0, shard: int = 0) -> None:
        conn = self.holder(shard)
        if conn is None:
            raise GatewayClosed(f"no bot holds shard {shard} on the fake gateway")
        if resume:
            # Any 4000-range code except the fatal ones makes discord.py RESUME on resume_gateway_url.
            await conn.ws.close(code=CLOSE_UNKNOWN_ERROR, message=b"fake: connection dropped")
        else:
            assert conn.session is not None
            conn.session.invalid = True
            # discord.py closes with 1000 and re-IDENTIFIES (after its 5 s before_identify_hook sleep).
            conn.send(OP_INVALID_SESSION, False)
        await asyncio.wait_for(conn.closed.wait(), timeout)

    async def close_all(self) -> None:
        for conn in list(self.connections):
            with contextlib.suppress(Exception):
                await conn.ws.close(code=1001, message=b"fake discord shutting down")
        for conn in list(self.connections):
            await self._forget(conn)
