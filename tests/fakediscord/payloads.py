"""Builders for the JSON dicts Discord sends: users, members, guilds, channels, messages, interactions.

Everything here is plain data (``dict[str, Any]``) shaped like Discord API v10 payloads, with just
enough fields for discord.py 2.x to parse them. Ids are strings on the wire, as on real Discord.
"""

from __future__ import annotations

import datetime as dt
import itertools
import secrets
import threading
import time
from collections.abc import Iterable, Sequence
from typing import Any

JSON = dict[str, Any]

DISCORD_EPOCH_MS = 1_420_070_400_000

# Interaction types
PING = 1
APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
APPLICATION_COMMAND_AUTOCOMPLETE = 4
MODAL_SUBMIT = 5

# Interaction callback types
CB_PONG = 1
CB_CHANNEL_MESSAGE_WITH_SOURCE = 4
CB_DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE = 5
CB_DEFERRED_UPDATE_MESSAGE = 6
CB_UPDATE_MESSAGE = 7
CB_AUTOCOMPLETE_RESULT = 8
CB_MODAL = 9

# Application command option types
OPT_SUB_COMMAND = 1
OPT_SUB_COMMAND_GROUP = 2
OPT_STRING = 3
OPT_INTEGER = 4
OPT_BOOLEAN = 5
OPT_USER = 6
OPT_CHANNEL = 7
OPT_ROLE = 8
OPT_MENTIONABLE = 9
OPT_NUMBER = 10
OPT_ATTACHMENT = 11

# Message flags
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7

# Channel types
GUILD_TEXT = 0
DM = 1

# VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | READ_MESSAGE_HISTORY | ADD_REACTIONS
# | USE_EXTERNAL_EMOJIS | USE_APPLICATION_COMMANDS | SEND_MESSAGES_IN_THREADS
DEFAULT_BOT_PERMISSIONS = (
    (1 << 10) | (1 << 11) | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 6) | (1 << 18) | (1 << 31) | (1 << 38)
)
# What @everyone gets in a fresh guild (VIEW_CHANNEL, SEND_MESSAGES, READ_MESSAGE_HISTORY, ...).
DEFAULT_EVERYONE_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 16) | (1 << 6) | (1 << 31)

ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024


class SnowflakeGenerator:
    """Time-based, strictly increasing snowflakes (so ``discord.utils.snowflake_time`` is sane)."""

    def __init__(self) -> None:
        self._last = 0
        self._lock = threading.Lock()

    def __call__(self) -> int:
        with self._lock:
            now = ((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) | (1 << 17)
            self._last = max(now, self._last + 1)
            return self._last


def iso_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def new_token(prefix: str = "aW50ZXJhY3Rpb24") -> str:
    """An interaction token: URL-safe characters only (it becomes a path segment)."""
    return prefix + secrets.token_hex(24)


def user_payload(user_id: int, name: str, *, bot: bool = False, global_name: str | None = None) -> JSON:
    return {
        "id": str(user_id),
        "username": name,
        "global_name": global_name if global_name is not None else (None if bot else name),
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "system": False,
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
    }


def bot_user_payload(user_id: int, name: str) -> JSON:
    data = user_payload(user_id, name, bot=True)
    data.update({"verified": True, "mfa_enabled": False, "locale": "en-US", "email": None})
    return data


def member_payload(
    user: JSON,
    *,
    roles: Iterable[int] = (),
    permissions: int | None = None,
    nick: str | None = None,
    joined_at: str | None = None,
) -> JSON:
    data: JSON = {
        "user": user,
        "nick": nick,
        "avatar": None,
        "banner": None,
        "roles": [str(r) for r in roles],
        "joined_at": joined_at or iso_now(),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
    }
    if permissions is not None:
        # Only present in interaction payloads: the member's computed permissions in the channel.
        data["permissions"] = str(permissions)
    return data


def role_payload(role_id: int, name: str, *, permissions: int, position: int = 0, managed: bool = False) -> JSON:
    return {
        "id": str(role_id),
        "name": name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": position,
        "permissions": str(permissions),
        "managed": managed,
        "mentionable": False,
        "flags": 0,
    }


def text_channel_payload(channel_id: int, guild_id: int, name: str, *, position: int = 0) -> JSON:
    return {
        "id": str(channel_id),
        "type": GUILD_TEXT,
        "guild_id": str(guild_id),
        "name": name,
        "position": position,
        "permission_overwrites": [],
        "topic": None,
        "nsfw": False,
        "parent_id": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "flags": 0,
    }


def dm_channel_payload(channel_id: int, recipient: JSON) -> JSON:
    return {"id": str(channel_id), "type": DM, "last_message_id": None, "flags": 0, "recipients": [recipient]}


def guild_payload(
    guild_id: int,
    name: str,
    *,
    owner_id: int,
    channels: Sequence[JSON],
    roles: Sequence[JSON],
    bot_member: JSON,
    member_count: int,
) -> JSON:
    """A full GUILD_CREATE payload (what the gateway sends after READY)."""
    return {
        "id": str(guild_id),
        "name": name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "premium_progress_bar_enabled": False,
        "preferred_locale": "en-US",
        "system_channel_id": channels[0]["id"] if channels else None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "vanity_url_code": None,
        "features": [],
        "roles": list(roles),
        "emojis": [],
        "stickers": [],
        "soundboard_sounds": [],
        "application_id": None,
        "max_members": 500000,
        "max_video_channel_users": 25,
        "nsfw": False,
        # GUILD_CREATE-only fields
        "joined_at": bot_member["joined_at"],
        "large": member_count >= 250,
        "unavailable": False,
        "member_count": member_count,
        "voice_states": [],
        "members": [bot_member],
        "channels": list(channels),
        "threads": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "lazy": True,
    }


def application_payload(application_id: int, owner: JSON, *, name: str = "Fake Bot", flags: int = 0) -> JSON:
    """GET /oauth2/applications/@me."""
    return {
        "id": str(application_id),
        "name": name,
        "icon": None,
        "description": "A bot talking to the fake Discord.",
        "summary": "",
        "type": None,
        "hook": True,
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "owner": owner,
        "team": None,
        "flags": flags,
        "rpc_origins": [],
        "tags": [],
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "approximate_guild_count": 0,
        "integration_types_config": {"0": {}},
    }


def message_payload(
    *,
    message_id: int,
    channel_id: int,
    author: JSON,
    content: str = "",
    embeds: Sequence[JSON] = (),
    components: Sequence[JSON] = (),
    attachments: Sequence[JSON] = (),
    flags: int = 0,
    message_type: int = 0,
    tts: bool = False,
    webhook_id: int | None = None,
    application_id: int | None = None,
    interaction_metadata: JSON | None = None,
) -> JSON:
    data: JSON = {
        "id": str(message_id),
        "type": message_type,
        "channel_id": str(channel_id),
        "author": author,
        "content": content,
        "timestamp": iso_now(),
        "edited_timestamp": None,
        "tts": tts,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": list(attachments),
        "embeds": list(embeds),
        "components": list(components),
        "pinned": False,
        "flags": flags,
    }
    if webhook_id is not None:
        data["webhook_id"] = str(webhook_id)
    if application_id is not None:
        data["application_id"] = str(application_id)
    if interaction_metadata is not None:
        data["interaction_metadata"] = interaction_metadata
    return data


def number_components(components: Sequence[JSON]) -> list[JSON]:
    """Discord gives every component in a message a numeric ``id``; emulate that (keeps given ids)."""
    counter = itertools.count(1)

    def walk(items: Sequence[Any]) -> list[Any]:
        out: list[Any] = []
        for item in items:
            if not isinstance(item, dict):
                out.append(item)
                continue
            comp = dict(item)
            comp.setdefault("id", next(counter))
            for key in ("components", "items"):
                if isinstance(comp.get(key), list):
                    comp[key] = walk(comp[key])
            for key in ("accessory", "component"):
                if isinstance(comp.get(key), dict):
                    comp[key] = walk([comp[key]])[0]
            out.append(comp)
        return out

    return walk(components)


def iter_components(components: Sequence[Any]) -> Iterable[JSON]:
    """Every component dict in a (possibly nested, components-v2) component tree."""
    for item in components:
        if not isinstance(item, dict):
            continue
        yield item
        for key in ("components", "items"):
            child = item.get(key)
            if isinstance(child, list):
                yield from iter_components(child)
        for key in ("accessory", "component"):
            child = item.get(key)
            if isinstance(child, dict):
                yield from iter_components([child])


def interaction_payload(
    *,
    interaction_id: int,
    application_id: int,
    interaction_type: int,
    token: str,
    data: JSON,
    guild_id: int | None,
    channel: JSON,
    member: JSON,
    app_permissions: int,
    locale: str = "en-US",
    guild_locale: str = "en-US",
    message: JSON | None = None,
) -> JSON:
    """An INTERACTION_CREATE payload. ``member`` is a member payload (guild) or a user payload (DM)."""
    user = member.get("user", member)
    payload: JSON = {
        "id": str(interaction_id),
        "application_id": str(application_id),
        "type": interaction_type,
        "token": token,
        "version": 1,
        "data": data,
        "channel_id": channel["id"],
        "channel": channel,
        "app_permissions": str(app_permissions),
        "locale": locale,
        "entitlements": [],
        "entitlement_sku_ids": [],
        "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
    }
    if guild_id is not None:
        payload["guild_id"] = str(guild_id)
        payload["guild"] = {"id": str(guild_id), "locale": guild_locale, "features": []}
        payload["guild_locale"] = guild_locale
        payload["member"] = member
        payload["authorizing_integration_owners"] = {"0": str(guild_id)}
        payload["context"] = 0
    else:
        payload["user"] = user
        payload["authorizing_integration_owners"] = {"1": user["id"]}
        payload["context"] = 1
    if message is not None:
        payload["message"] = message
    return payload
