"""``FakeDiscord``: the state of a fake Discord (guilds, commands, messages, interactions) and the test-facing API.

The HTTP routes live in ``server.py`` and the websocket in ``gateway.py``; both call back into this object.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, contextmanager
from types import TracebackType
from typing import Any

from aiohttp import web

from .commands import CommandRegistry, OptionBuilder
from .discordpy import pointed_at
from .gateway import INTENT_DIRECT_MESSAGES, INTENT_GUILD_MESSAGES, GatewayServer
from .interactions import InteractionHandle, InteractionRecord
from .payloads import (
    APPLICATION_COMMAND,
    APPLICATION_COMMAND_AUTOCOMPLETE,
    DEFAULT_BOT_PERMISSIONS,
    DEFAULT_EVERYONE_PERMISSIONS,
    DM,
    FLAG_EPHEMERAL,
    FLAG_LOADING,
    JSON,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    SnowflakeGenerator,
    bot_user_payload,
    dm_channel_payload,
    guild_payload,
    interaction_payload,
    iso_now,
    iter_components,
    member_payload,
    message_payload,
    new_token,
    number_components,
    role_payload,
    text_channel_payload,
    user_payload,
)
from .records import APIError, Failure, RecordedError, Upload
from .validation import check_message, form_errors

DEFAULT_MEMBER_ID = 2000
# Flags a bot may set on a message it sends: SUPPRESS_EMBEDS, EPHEMERAL, SUPPRESS_NOTIFICATIONS, IS_COMPONENTS_V2.
SETTABLE_FLAGS = (1 << 2) | FLAG_EPHEMERAL | (1 << 12) | (1 << 15)
SELECT_COMPONENT_TYPES = (3, 5, 6, 7, 8)


class _Default(enum.Enum):
    FIRST_GUILD = enum.auto()


FIRST_GUILD = _Default.FIRST_GUILD
"""Default for ``guild_id=``: the first guild added. Pass ``None`` for a DM."""


class FakeDiscord(AbstractAsyncContextManager["FakeDiscord"]):
    """A fake Discord REST API + gateway on 127.0.0.1 for the real discord.py client."""

    def __init__(
        self,
        application_id: int = 1000,
        bot_user_id: int = 1000,
        *,
        bot_name: str = "FakeBot",
        interaction_deadline: float = 3.0,
        heartbeat_interval: int = 41250,
        shard_count: int = 1,
    ) -> None:
        self.application_id = application_id
        self.shard_count = shard_count
        """The shards the fake runs as: GET /gateway/bot recommends it, and each IDENTIFY must name it."""
        self.bot_user_id = bot_user_id
        self.application_flags = 0
        self.interaction_deadline = interaction_deadline
        """Seconds a bot has for its first interaction callback (Discord: 3)."""
        self.snowflake = SnowflakeGenerator()
        self.bot_user: JSON = bot_user_payload(bot_user_id, bot_name)
        """The bot's own user (GET /users/@me, READY); ``bot_author`` is its public form used in messages."""
        self.bot_author: JSON = user_payload(bot_user_id, bot_name, bot=True)
        self.owner_user: JSON = user_payload(1, "owner")
        self.registry = CommandRegistry(application_id, self.snowflake)
        self.guilds: dict[int, JSON] = {}
        self.channels: dict[int, JSON] = {}
        self.users: dict[int, JSON] = {bot_user_id: self.bot_author, 1: self.owner_user}
        self.messages: dict[int, JSON] = {}
        self._nonces: dict[str, tuple[int, float]] = {}
        """Nonce -> (message id, loop time) of channel messages sent with ``enforce_nonce`` (see ``by_nonce``)."""
        self.attachments: dict[int, bytes] = {}
        self.interactions: dict[int, InteractionRecord] = {}
        self.interactions_by_token: dict[str, InteractionRecord] = {}
        self._app_permissions: dict[int, int] = {}
        self.errors: list[RecordedError] = []
        """Every rule violation the fake answered with an error (4xx); tests usually assert it stays empty."""
        self.unknown_routes: list[str] = []
        self.requests: list[str] = []
        """Every REST request as ``"METHOD /path"`` (path without the /api/v10 prefix)."""
        self.allowed_mentions: list[JSON | None] = []
        """``allowed_mentions`` of every message create/edit the bot sent (None when it sent none)."""
        self.injected: list[str] = []
        """Requests answered by ``fail_next`` instead of the real route."""
        self.message_events = True
        """Dispatch MESSAGE_CREATE/UPDATE/DELETE for messages (when the session has the intent)."""
        self.identify_count = 0
        self.resume_count = 0
        self.gateway = GatewayServer(self, heartbeat_interval)
        self._failures: list[Failure] = []
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._changed: asyncio.Event | None = None

    # -- lifecycle ----------------------------------------------------------------------------------------------

    async def start(self) -> FakeDiscord:
        from .server import build_app

        if self._runner is not None:
            return self
        runner = web.AppRunner(build_app(self), handle_signals=False, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        addr = runner.addresses[0]
        self._port = int(addr[1])
        return self

    async def stop(self) -> None:
        if self._runner is None:
            return
        await self.gateway.close_all()
        await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeDiscord is not started")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    @contextmanager
    def point_discord_py_here(self) -> Iterator[FakeDiscord]:
        """Set discord.py's ``Route.BASE`` and ``DEFAULT_GATEWAY`` to this fake; restored on exit."""
        with pointed_at(self.api_base, self.gateway_url):
            yield self

    # -- change notification / waiting -----------------------------------------------------------------------

    def notify(self) -> None:
        """Wake everything waiting in :meth:`wait_for` (called after every state change)."""
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    async def wait_for(
        self, predicate: Callable[[], bool], timeout: float, what: str = "condition", *, poll: float = 0.01
    ) -> None:
        """Wait until ``predicate()`` is true: re-checked on every change of the fake and every ``poll`` seconds
        (so predicates about the bot's own state work too). Raises TimeoutError naming ``what``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                hint = f"; fake.errors={[str(e) for e in self.errors]}" if self.errors else ""
                raise TimeoutError(f"timed out after {timeout}s waiting for {what}{hint}")
            if self._changed is None:
                self._changed = asyncio.Event()
            event = self._changed
            try:
                await asyncio.wait_for(event.wait(), min(remaining, poll))
            except TimeoutError:
                continue

    async def wait_ready(self, timeout: float = 10.0, shards: Sequence[int] | None = None) -> None:
        """Resolve once every shard of ``shards`` (default: all of them) is held by a connection that has been
        sent READY (or RESUMED) and every GUILD_CREATE.

        discord.py itself fires ``on_ready`` only ``guild_ready_timeout`` (default 2 s) after the last
        GUILD_CREATE; use ``bot.wait_until_ready()`` for that.
        """
        await self.wait_for(lambda: self.gateway.is_ready(shards), timeout, "the bot's shards to be ready")

    def shard_of(self, guild_id: int | None) -> int:
        """The shard that receives ``guild_id``'s events: ``(guild_id >> 22) % shard_count``; 0 for DMs."""
        return self.gateway.shard_of(guild_id)

    def guild_on_shard(self, shard_id: int, after: int = 0) -> int:
        """The smallest guild id above ``after`` that shard ``shard_id`` holds (for tests placing servers)."""
        if not 0 <= shard_id < self.shard_count:
            raise ValueError(f"shard {shard_id} is not one of {self.shard_count}")
        base = (after >> 22) + 1
        for high in range(base, base + self.shard_count):
            if high % self.shard_count == shard_id:
                return high << 22
        raise AssertionError("unreachable: shard_count consecutive values cover every shard")

    # -- commands ---------------------------------------------------------------------------------------------

    @property
    def global_commands(self) -> list[JSON]:
        return self.registry.global_commands

    @property
    def guild_commands(self) -> dict[int, list[JSON]]:
        return self.registry.guild_commands

    @property
    def sync_count(self) -> int:
        """Number of bulk overwrites (PUT .../commands), global and guild."""
        return self.registry.sync_count

    # -- guilds, channels, members ------------------------------------------------------------------------------

    def add_guild(
        self,
        guild_id: int,
        name: str = "Study Group",
        channels: Sequence[int | JSON] | None = None,
        owner_id: int = 1,
        *,
        member_count: int = 2,
        bot_permissions: int = DEFAULT_BOT_PERMISSIONS,
        everyone_permissions: int = DEFAULT_EVERYONE_PERMISSIONS,
    ) -> JSON:
        """Add a guild the bot is in; returns its GUILD_CREATE payload. Announced at once if a bot is connected."""
        channel_payloads: list[JSON] = []
        for position, ch in enumerate(channels if channels is not None else [self.snowflake()]):
            if isinstance(ch, dict):
                payload = {**ch, "guild_id": str(guild_id)}
            else:
                payload = text_channel_payload(
                    ch, guild_id, "general" if position == 0 else f"channel-{position}", position=position
                )
            channel_payloads.append(payload)
            self.channels[int(payload["id"])] = payload
        bot_role_id = self.snowflake()
        roles = [
            role_payload(guild_id, "@everyone", permissions=everyone_permissions),
            role_payload(
                bot_role_id, str(self.bot_user["username"]), permissions=bot_permissions, position=1, managed=True
            ),
        ]
        roles[1]["tags"] = {"bot_id": str(self.bot_user_id)}
        bot_member = member_payload(self.bot_author, roles=[bot_role_id])
        guild = guild_payload(
            guild_id,
            name,
            owner_id=owner_id,
            channels=channel_payloads,
            roles=roles,
            bot_member=bot_member,
            member_count=member_count,
        )
        self.guilds[guild_id] = guild
        self._app_permissions[guild_id] = bot_permissions | everyone_permissions
        self.gateway.guild_added(guild)
        self.notify()
        return guild

    def remove_guild(self, guild_id: int) -> None:
        """The bot was removed from the guild: GUILD_DELETE."""
        guild = self.guilds.pop(guild_id)
        for ch in guild["channels"]:
            self.channels.pop(int(ch["id"]), None)
        self.gateway.guild_removed(guild_id)
        self.notify()

    def make_member(self, user_id: int = DEFAULT_MEMBER_ID, name: str = "tester", permissions: int = 0) -> JSON:
        """A guild member payload (with ``user``) as sent in interactions; ``permissions`` = channel permissions."""
        user = user_payload(user_id, name)
        self.users[user_id] = user
        return member_payload(user, permissions=permissions)

    def channel_messages(self, channel_id: int, *, include_ephemeral: bool = True) -> list[JSON]:
        """Messages in a channel, oldest first."""
        msgs = [m for m in self.messages.values() if int(m["channel_id"]) == channel_id]
        if not include_ephemeral:
            msgs = [m for m in msgs if not int(m.get("flags", 0)) & FLAG_EPHEMERAL]
        return sorted(msgs, key=lambda m: int(m["id"]))

    def dm_channel(self, user: JSON) -> JSON:
        """The bot's DM channel with ``user`` (a user payload), created on first use."""
        for ch in self.channels.values():
            if ch.get("type") == DM and ch["recipients"][0]["id"] == user["id"]:
                return ch
        channel = dm_channel_payload(self.snowflake(), user)
        self.channels[int(channel["id"])] = channel
        return channel

    def lookup_role(self, role_id: int) -> JSON | None:
        for guild in self.guilds.values():
            for role in guild["roles"]:
                if int(role["id"]) == role_id:
                    return dict(role)
        return None

    # -- fault injection ------------------------------------------------------------------------------------------

    def fail_next(self, route_substring: str, status: int, count: int = 1, retry_after: float = 0.1) -> None:
        """Answer the next ``count`` REST calls whose ``"METHOD /path"`` contains ``route_substring`` with
        ``status`` (429 with a proper rate-limit body/headers, or e.g. 500/502)."""
        self._failures.append(Failure(route_substring, status, count, retry_after))

    def take_failure(self, method: str, path: str) -> Failure | None:
        key = f"{method} {path}"
        for failure in self._failures:
            if failure.pattern in key:
                failure.remaining -= 1
                if failure.remaining <= 0:
                    self._failures.remove(failure)
                self.injected.append(key)
                return failure
        return None

    async def drop_gateway(self, resume: bool = True, timeout: float = 5.0, shard: int = 0) -> None:
        """Close the websocket holding ``shard``. ``resume=True``: code 4000, the client RESUMEs.
        ``resume=False``: the session is invalidated (op 9), the client re-IDENTIFIES (discord.py waits 5 s
        before re-identifying)."""
        await self.gateway.drop(resume=resume, timeout=timeout, shard=shard)

    # -- messages -----------------------------------------------------------------------------------------------

    def _attachments(self, payload: JSON, uploads: Sequence[Upload], keep: Sequence[JSON] = ()) -> list[JSON]:
        described = {str(a.get("id")): a for a in payload.get("attachments") or [] if isinstance(a, dict)}
        result: list[JSON] = []
        existing = {str(a["id"]): a for a in keep}
        if "attachments" in payload:
            result.extend(existing[k] for k in described if k in existing)
        else:
            result.extend(keep)
        for index, upload in enumerate(uploads):
            field_index = upload.field.removeprefix("files[").removesuffix("]")
            meta = described.get(field_index, described.get(str(index), {}))
            attachment_id = self.snowflake()
            self.attachments[attachment_id] = upload.data
            filename = str(meta.get("filename") or upload.filename)
            url = f"{self.base_url}/attachments/{attachment_id}/{filename}"
            result.append(
                {
                    "id": str(attachment_id),
                    "filename": filename,
                    "size": len(upload.data),
                    "url": url,
                    "proxy_url": url,
                    "content_type": upload.content_type,
                    "description": meta.get("description"),
                }
            )
        return result

    NONCE_WINDOW = 300.0
    """Seconds a nonce is remembered; Discord says "the past few minutes"."""

    def by_nonce(self, nonce: str) -> JSON | None:
        """The bot's message created with this nonce (and ``enforce_nonce``) in the nonce window, if any."""
        found = self._nonces.get(nonce)
        if found is None or asyncio.get_running_loop().time() - found[1] > self.NONCE_WINDOW:
            return None
        return self.messages.get(found[0])

    def remember_nonce(self, nonce: str, message: JSON) -> None:
        self._nonces[nonce] = (int(message["id"]), asyncio.get_running_loop().time())

    def validate(self, payload: JSON, prefix: tuple[str, ...] = ()) -> None:
        problems = [((*prefix, *path), code, msg) for path, code, msg in check_message(payload)]
        if problems:
            raise APIError(400, 50035, "Invalid Form Body", form_errors(problems))

    def create_message(
        self,
        channel_id: int,
        payload: JSON,
        uploads: Sequence[Upload] = (),
        *,
        author: JSON | None = None,
        record: InteractionRecord | None = None,
        extra_flags: int = 0,
        track_mentions: bool = True,
        validated: bool = False,
    ) -> JSON:
        """Validate (unless the caller just did) and store a message the bot sends (channel message, interaction
        response, followup)."""
        if not validated:
            self.validate(payload)
        if author is None and track_mentions:
            self.allowed_mentions.append(payload.get("allowed_mentions"))
        components = payload.get("components") or []
        flags = (int(payload.get("flags") or 0) & SETTABLE_FLAGS) | extra_flags
        metadata: JSON | None = None
        message_type = 0
        if record is not None:
            inter = record.payload
            user = inter["member"]["user"] if "member" in inter else inter["user"]
            metadata = {
                "id": inter["id"],
                "type": inter["type"],
                "user": user,
                "authorizing_integration_owners": inter.get("authorizing_integration_owners", {}),
            }
            if record.type == APPLICATION_COMMAND:
                message_type = 20
                metadata["name"] = inter["data"].get("name")
            else:
                message_type = 19
            if record.component_message_id is not None:
                metadata["interacted_message_id"] = str(record.component_message_id)
        attachments = self._attachments(payload, uploads)
        message = message_payload(
            message_id=self.snowflake(),
            channel_id=channel_id,
            author=author or self.bot_author,
            content=str(payload.get("content") or ""),
            embeds=embed_files(payload.get("embeds") or [], attachments),
            components=number_components(components),
            attachments=attachments,
            flags=flags,
            tts=bool(payload.get("tts")),
            message_type=message_type,
            webhook_id=self.application_id if record is not None else None,
            application_id=self.application_id if record is not None else None,
            interaction_metadata=metadata,
        )
        if author is not None and "user" in author:
            # a member payload: Discord puts the user in author and the member (sans user) in member
            message["author"] = author["user"]
        if payload.get("message_reference"):
            message["message_reference"] = payload["message_reference"]
        if payload.get("nonce") is not None:
            message["nonce"] = payload["nonce"]
        self.messages[int(message["id"])] = message
        self._announce("MESSAGE_CREATE", message, author_member=author if author and "user" in author else None)
        self.notify()
        return message

    def edit_message(self, message: JSON, payload: JSON, uploads: Sequence[Upload] = ()) -> JSON:
        """Apply an edit (PATCH / UPDATE_MESSAGE / editing a deferred response) in place."""
        merged = {k: message.get(k) for k in ("content", "embeds", "components", "flags")}
        merged.update({k: v for k, v in payload.items() if k in ("content", "embeds", "components")})
        if "flags" in payload:
            merged["flags"] = payload["flags"]
        self.validate(merged)
        self.allowed_mentions.append(payload.get("allowed_mentions"))
        if "content" in payload:
            message["content"] = str(payload["content"] or "")
        if "embeds" in payload:
            message["embeds"] = list(payload["embeds"] or [])
        if "components" in payload:
            message["components"] = number_components(payload["components"] or [])
        flags = int(message.get("flags", 0)) & ~FLAG_LOADING
        if payload.get("flags") is not None:
            keep = flags & (FLAG_EPHEMERAL | (1 << 15))
            flags = keep | (int(payload["flags"]) & SETTABLE_FLAGS & ~FLAG_EPHEMERAL)
        message["flags"] = flags
        if "attachments" in payload or uploads:
            message["attachments"] = self._attachments(payload, uploads, keep=message.get("attachments") or [])
        if "embeds" in payload or uploads:
            message["embeds"] = embed_files(message["embeds"] or [], message.get("attachments") or [])
        message["edited_timestamp"] = iso_now()
        self._announce("MESSAGE_UPDATE", message)
        self.notify()
        return message

    def delete_message(self, message_id: int) -> None:
        message = self.messages.pop(message_id)
        self._announce("MESSAGE_DELETE", {"id": message["id"], "channel_id": message["channel_id"]})
        self.notify()

    def _announce(self, event: str, message: JSON, author_member: JSON | None = None) -> None:
        if not self.message_events or int(message.get("flags", 0)) & FLAG_EPHEMERAL:
            return
        channel = self.channels.get(int(message["channel_id"]))
        if channel is None:
            return
        data = dict(message)
        if channel.get("type") == DM:
            intent = INTENT_DIRECT_MESSAGES
        else:
            intent = INTENT_GUILD_MESSAGES
            data["guild_id"] = channel["guild_id"]
            if author_member is not None:
                data["member"] = {k: v for k, v in author_member.items() if k != "user"}
        self.gateway.dispatch_if_intent(event, data, intent)

    async def post_user_message(self, channel_id: int, member: JSON | None = None, content: str = "") -> JSON:
        """A user (member payload, or user payload in DMs) writes a message: stored and MESSAGE_CREATE sent."""
        member = member or self.make_member()
        if channel_id not in self.channels:
            raise ValueError(f"unknown channel {channel_id}")
        return self.create_message(channel_id, {"content": content}, author=member)

    # -- interactions: driving ------------------------------------------------------------------------------------

    def _context(
        self, guild_id: int | _Default | None, channel_id: int | None, member: JSON | None
    ) -> tuple[int | None, JSON, JSON]:
        if guild_id is FIRST_GUILD:
            if not self.guilds:
                raise ValueError("no guild added; call fake.add_guild(...) or pass guild_id=None for a DM")
            guild_id = next(iter(self.guilds))
        member = member if member is not None else self.make_member()
        if guild_id is None:
            user = member.get("user", member)
            if channel_id is None:
                channel = self.dm_channel(user)
            else:
                channel = self.channels.get(channel_id) or dm_channel_payload(channel_id, user)
            return None, channel, user
        guild = self.guilds.get(guild_id)
        if guild is None:
            raise ValueError(f"unknown guild {guild_id}; known: {list(self.guilds)[:10]}")
        if channel_id is None:
            channel_id = int(guild["channels"][0]["id"])
        guild_channel = self.channels.get(channel_id)
        if guild_channel is None or guild_channel.get("guild_id") != str(guild_id):
            raise ValueError(f"channel {channel_id} is not a channel of guild {guild_id}")
        if "user" not in member:
            member = member_payload(member, permissions=0)
        if "permissions" not in member:
            member = {**member, "permissions": "0"}
        return guild_id, guild_channel, member

    async def _send_interaction(
        self,
        interaction_type: int,
        data: JSON,
        *,
        guild_id: int | None,
        channel: JSON,
        member: JSON,
        message: JSON | None = None,
        locale: str = "en-US",
    ) -> InteractionHandle:
        interaction_id = self.snowflake()
        token = new_token()
        payload = interaction_payload(
            interaction_id=interaction_id,
            application_id=self.application_id,
            interaction_type=interaction_type,
            token=token,
            data=data,
            guild_id=guild_id,
            channel=channel,
            member=member,
            app_permissions=self._app_permissions.get(guild_id, DEFAULT_BOT_PERMISSIONS)
            if guild_id is not None
            else DEFAULT_BOT_PERMISSIONS,
            locale=locale,
            guild_locale=self.guilds[guild_id].get("preferred_locale", "en-US") if guild_id is not None else "en-US",
            message=message,
        )
        record = InteractionRecord(id=interaction_id, token=token, type=interaction_type, payload=payload)
        if message is not None:
            record.component_message_id = int(message["id"])
        self.interactions[interaction_id] = record
        self.interactions_by_token[token] = record
        loop = asyncio.get_running_loop()

        def sent() -> None:
            record.sent_at = loop.time()

        await self.gateway.dispatch("INTERACTION_CREATE", payload, guild_id=guild_id, on_sent=sent)
        return InteractionHandle(self, record)

    def _command_data(
        self,
        name: str,
        options: Mapping[str, Any] | None,
        guild_id: int | None,
        focused: str | None,
        *,
        check_required: bool,
    ) -> JSON:
        path = name.split()
        if not path:
            raise ValueError("empty command name")
        command = self.registry.find(path[0], guild_id)
        builder = OptionBuilder(lambda cid: self.channels.get(cid), self.lookup_role)
        built = builder.build(path, command, options or {}, focused, check_required=check_required)
        data: JSON = {
            "id": command["id"] if command else str(self.snowflake()),
            "name": path[0],
            "type": 1,
            "options": built,
        }
        if command is not None and "guild_id" in command:
            data["guild_id"] = command["guild_id"]
        if builder.resolved:
            data["resolved"] = builder.resolved
        return data

    async def invoke(
        self,
        name: str,
        options: Mapping[str, Any] | None = None,
        *,
        guild_id: int | _Default | None = FIRST_GUILD,
        channel_id: int | None = None,
        member: JSON | None = None,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """Run a slash command: ``"cmd"``, ``"group sub"`` or ``"group subgroup sub"``.

        Option types come from the registered command (guild first, then global); unregistered commands
        work too (types guessed from the Python values). ``guild_id=None`` sends it from a DM.
        """
        gid, channel, who = self._context(guild_id, channel_id, member)
        data = self._command_data(name, options, gid, None, check_required=True)
        return await self._send_interaction(
            APPLICATION_COMMAND, data, guild_id=gid, channel=channel, member=who, locale=locale
        )

    async def autocomplete(
        self,
        name: str,
        options: Mapping[str, Any] | None,
        focused: str,
        *,
        guild_id: int | _Default | None = FIRST_GUILD,
        channel_id: int | None = None,
        member: JSON | None = None,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """The user is typing into option ``focused`` (its current text is ``options[focused]``, default "")."""
        gid, channel, who = self._context(guild_id, channel_id, member)
        data = self._command_data(name, options, gid, focused, check_required=False)
        return await self._send_interaction(
            APPLICATION_COMMAND_AUTOCOMPLETE, data, guild_id=gid, channel=channel, member=who, locale=locale
        )

    def _clicked_message(self, message: JSON | int) -> JSON:
        if isinstance(message, int):
            stored = self.messages.get(message)
            if stored is None:
                raise ValueError(f"unknown message {message}")
            return stored
        stored = self.messages.get(int(message["id"]))
        if stored is None:
            self.messages[int(message["id"])] = stored = message
        return stored

    @staticmethod
    def _find_component(message: JSON, custom_id: str) -> JSON:
        for comp in iter_components(message.get("components") or []):
            if comp.get("custom_id") == custom_id:
                return comp
        ids = [c.get("custom_id") for c in iter_components(message.get("components") or []) if c.get("custom_id")]
        raise ValueError(f"message {message['id']} has no component {custom_id!r}; it has {ids}")

    def _message_context(
        self, message: JSON, guild_id: int | _Default | None, channel_id: int | None
    ) -> tuple[int | _Default | None, int]:
        channel_id = channel_id if channel_id is not None else int(message["channel_id"])
        if guild_id is FIRST_GUILD:
            channel = self.channels.get(channel_id)
            if channel is not None:
                guild_id = int(channel["guild_id"]) if channel.get("guild_id") else None
        return guild_id, channel_id

    async def click(
        self,
        message: JSON | int,
        custom_id: str,
        *,
        member: JSON | None = None,
        guild_id: int | _Default | None = FIRST_GUILD,
        channel_id: int | None = None,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """Click the button ``custom_id`` on ``message`` (a message dict, e.g. ``handle.message``, or its id)."""
        msg = self._clicked_message(message)
        comp = self._find_component(msg, custom_id)
        if comp.get("type") != 2:
            raise ValueError(f"component {custom_id!r} is not a button (type {comp.get('type')})")
        if comp.get("disabled"):
            raise ValueError(f"button {custom_id!r} is disabled; Discord would not send a click")
        gid, cid = self._message_context(msg, guild_id, channel_id)
        gid2, channel, who = self._context(gid, cid, member)
        data: JSON = {"custom_id": custom_id, "component_type": 2, "id": comp.get("id")}
        return await self._send_interaction(
            MESSAGE_COMPONENT, data, guild_id=gid2, channel=channel, member=who, message=msg, locale=locale
        )

    async def select(
        self,
        message: JSON | int,
        custom_id: str,
        values: Sequence[Any],
        *,
        member: JSON | None = None,
        guild_id: int | _Default | None = FIRST_GUILD,
        channel_id: int | None = None,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """Choose ``values`` in the select menu ``custom_id`` on ``message``."""
        msg = self._clicked_message(message)
        comp = self._find_component(msg, custom_id)
        ctype = int(comp.get("type", 0))
        if ctype not in SELECT_COMPONENT_TYPES:
            raise ValueError(f"component {custom_id!r} is not a select menu (type {ctype})")
        str_values = [str(v) for v in values]
        if ctype == 3:
            allowed = {o["value"] for o in comp.get("options") or []}
            bad = [v for v in str_values if v not in allowed]
            if bad:
                raise ValueError(f"{bad} are not options of select {custom_id!r}; options: {sorted(allowed)}")
        lo, hi = int(comp.get("min_values", 1)), int(comp.get("max_values", 1))
        if not lo <= len(str_values) <= hi:
            raise ValueError(f"select {custom_id!r} takes {lo}..{hi} values, got {len(str_values)}")
        gid, cid = self._message_context(msg, guild_id, channel_id)
        gid2, channel, who = self._context(gid, cid, member)
        data: JSON = {"custom_id": custom_id, "component_type": ctype, "values": str_values, "id": comp.get("id")}
        if ctype != 3:
            builder = OptionBuilder(lambda c: self.channels.get(c), self.lookup_role)
            kind = {5: 6, 6: 8, 7: 9, 8: 7}[ctype]
            data["values"] = [builder.snowflake_value(kind, v) for v in values]
            data["resolved"] = builder.resolved
        return await self._send_interaction(
            MESSAGE_COMPONENT, data, guild_id=gid2, channel=channel, member=who, message=msg, locale=locale
        )

    async def submit_modal(
        self,
        custom_id: str,
        values: Mapping[str, str],
        *,
        message: JSON | int | None = None,
        member: JSON | None = None,
        guild_id: int | _Default | None = FIRST_GUILD,
        channel_id: int | None = None,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """Submit the modal ``custom_id`` with text inputs ``{input_custom_id: value}``."""
        msg = self._clicked_message(message) if message is not None else None
        if msg is not None:
            guild_id, channel_id = self._message_context(msg, guild_id, channel_id)
        gid, channel, who = self._context(guild_id, channel_id, member)
        rows = [
            {"type": 1, "components": [{"type": 4, "custom_id": key, "value": value}]} for key, value in values.items()
        ]
        data: JSON = {"custom_id": custom_id, "components": rows}
        return await self._send_interaction(
            MODAL_SUBMIT, data, guild_id=gid, channel=channel, member=who, message=msg, locale=locale
        )


def embed_files(embeds: Sequence[JSON], attachments: Sequence[JSON]) -> list[JSON]:
    """Embeds as Discord stores them: an image or thumbnail at ``attachment://NAME`` points at the message's file of
    that name (its URL); a name with no such file stays as written, so a test sees the mismatch."""
    files = {str(a["filename"]): a for a in attachments}
    resolved: list[JSON] = []
    for embed in embeds:
        stored = dict(embed)
        for key in ("image", "thumbnail"):
            url = str((embed.get(key) or {}).get("url") or "")
            attached = files.get(url.removeprefix("attachment://")) if url.startswith("attachment://") else None
            if attached is not None:
                stored[key] = {"url": attached["url"], "proxy_url": attached["proxy_url"]}
        resolved.append(stored)
    return resolved
