"""The aiohttp application: Discord's REST routes under /api/v10, the gateway at /gateway, attachments.

JSON responses carry ``Content-Type: application/json`` exactly -- discord.py compares the header verbatim and
treats anything else (``application/json; charset=utf-8``, aiohttp's default) as plain text.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from . import responses
from .jsoncodec import dumps_bytes
from .payloads import JSON, application_payload
from .records import APIError, RecordedError, Upload
from .validation import form_errors

if TYPE_CHECKING:
    from .fake import FakeDiscord
    from .records import Failure

API_PREFIX = "/api/v10"
FAKE_KEY: web.AppKey[FakeDiscord] = web.AppKey("fake_discord")
BODY_KEY: web.RequestKey[Any] = web.RequestKey("fakediscord_body")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    all_headers = {"Content-Type": "application/json"}
    all_headers.update(headers or {})
    return web.Response(body=dumps_bytes(data), status=status, headers=all_headers)


def no_content() -> web.Response:
    return web.Response(status=204)


def _fake(request: web.Request) -> FakeDiscord:
    return request.app[FAKE_KEY]


def _int(request: web.Request, key: str) -> int:
    value = request.match_info[key]
    if not value.isdigit():
        raise APIError(
            400,
            50035,
            "Invalid Form Body",
            {key: {"_errors": [{"code": "NUMBER_TYPE_COERCE", "message": f'Value "{value}" is not snowflake.'}]}},
        )
    return int(value)


async def read_body(request: web.Request) -> tuple[JSON, list[Upload]]:
    """JSON body, or multipart with ``payload_json`` + ``files[n]`` (what discord.py sends with files)."""
    if request.content_type.startswith("multipart/"):
        payload: JSON = {}
        uploads: list[Upload] = []
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):  # nested multipart: not used by discord.py
                continue
            if part.name == "payload_json":
                payload.update(json.loads(await part.text()))
            elif part.filename is not None:
                uploads.append(
                    Upload(part.name or "", part.filename, bytes(await part.read()), part.headers.get("Content-Type"))
                )
            elif part.name:
                payload[part.name] = await part.text()
        request[BODY_KEY] = payload
        return payload, uploads
    raw = await request.read()
    if not raw:
        return {}, []
    try:
        body = json.loads(raw)
    except ValueError:
        raise APIError(400, 50109, "The request body contains invalid JSON.") from None
    request[BODY_KEY] = body
    if not isinstance(body, dict):
        raise APIError(
            400,
            50035,
            "Invalid Form Body",
            {"_errors": [{"code": "DICT_TYPE_CONVERT", "message": "Only dictionaries may be used."}]},
        )
    return body, []


async def read_json_list(request: web.Request) -> list[JSON]:
    raw = await request.read()
    try:
        body = json.loads(raw or b"[]")
    except ValueError:
        raise APIError(400, 50109, "The request body contains invalid JSON.") from None
    request[BODY_KEY] = body
    if not isinstance(body, list):
        raise APIError(
            400, 50035, "Invalid Form Body", {"_errors": [{"code": "BASE_TYPE_ARRAY", "message": "Must be an array."}]}
        )
    return body


def _failure_response(failure: Failure) -> web.Response:
    if failure.status == 429:
        retry = failure.retry_after
        return json_response(
            {"message": "You are being rate limited.", "retry_after": retry, "global": False, "code": 0},
            status=429,
            headers={
                "Retry-After": str(max(1, math.ceil(retry))),
                "X-RateLimit-Limit": "1",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": f"{time.time() + retry:.3f}",
                "X-RateLimit-Reset-After": f"{retry:.3f}",
                "X-RateLimit-Bucket": "fakediscord-injected",
                "X-RateLimit-Scope": "user",
                # discord.py treats a 429 without Via as a Cloudflare ban and raises instead of retrying
                "Via": "1.1 google",
            },
        )
    return json_response({"message": f"{failure.status}: Injected failure", "code": 0}, status=failure.status)


@web.middleware
async def discord_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    fake = _fake(request)
    path = request.path
    if not path.startswith(API_PREFIX + "/"):
        return await handler(request)
    route = path[len(API_PREFIX) :]
    key = f"{request.method} {route}"
    fake.requests.append(key)
    failure = fake.take_failure(request.method, route)
    if failure is not None:
        await request.read()
        return _failure_response(failure)
    needs_bot_auth = not route.startswith(("/webhooks/", "/interactions/"))
    if needs_bot_auth and not request.headers.get("Authorization", "").startswith("Bot "):
        return json_response({"message": "401: Unauthorized", "code": 0}, status=401)
    try:
        return await handler(request)
    except APIError as exc:
        body = request.get(BODY_KEY)
        fake.errors.append(RecordedError(request.method, route, exc.status, exc.code, exc.message, exc.errors, body))
        fake.notify()
        return json_response(exc.body(), status=exc.status)
    except (web.HTTPNotFound, web.HTTPMethodNotAllowed):
        fake.unknown_routes.append(key)
        fake.notify()
        return json_response({"message": "404: Not Found", "code": 0}, status=404)


# -- users, application, gateway ---------------------------------------------------------------------------------


async def get_me(request: web.Request) -> web.Response:
    return json_response(_fake(request).bot_user)


async def get_user(request: web.Request) -> web.Response:
    user = _fake(request).users.get(_int(request, "user_id"))
    if user is None:
        raise APIError(404, 10013, "Unknown User")
    return json_response(user)


async def create_dm(request: web.Request) -> web.Response:
    fake = _fake(request)
    body, _ = await read_body(request)
    user = fake.users.get(int(body.get("recipient_id", 0)))
    if user is None:
        raise APIError(400, 50007, "Cannot send messages to this user")
    return json_response(fake.dm_channel(user))


async def get_application(request: web.Request) -> web.Response:
    fake = _fake(request)
    return json_response(application_payload(fake.application_id, fake.owner_user, flags=fake.application_flags))


async def get_gateway(request: web.Request) -> web.Response:
    return json_response({"url": _fake(request).gateway_url})


async def get_gateway_bot(request: web.Request) -> web.Response:
    return json_response(
        {
            "url": _fake(request).gateway_url,
            "shards": _fake(request).shard_count,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1},
        }
    )


# -- application commands ------------------------------------------------------------------------------------------


def _command_scope(request: web.Request) -> int | None:
    fake = _fake(request)
    if _int(request, "application_id") != fake.application_id:
        raise APIError(403, 50001, "Missing Access")
    if "guild_id" not in request.match_info:
        return None
    guild_id = _int(request, "guild_id")
    if guild_id not in fake.guilds:
        raise APIError(403, 50001, "Missing Access")
    return guild_id


async def list_commands(request: web.Request) -> web.Response:
    guild_id = _command_scope(request)
    registry = _fake(request).registry
    return json_response(registry.global_commands if guild_id is None else registry.guild_commands.get(guild_id, []))


async def bulk_overwrite_commands(request: web.Request) -> web.Response:
    guild_id = _command_scope(request)
    payloads = await read_json_list(request)
    fake = _fake(request)
    names = [(p.get("name"), p.get("type", 1)) for p in payloads]
    if len(names) != len(set(names)):
        raise APIError(
            400,
            50035,
            "Invalid Form Body",
            {
                "_errors": [
                    {
                        "code": "APPLICATION_COMMANDS_DUPLICATE_NAME",
                        "message": "Application command names must be unique",
                    }
                ]
            },
        )
    result = fake.registry.bulk_overwrite(guild_id, payloads)
    fake.notify()
    return json_response(result)


async def create_command(request: web.Request) -> web.Response:
    guild_id = _command_scope(request)
    body, _ = await read_body(request)
    fake = _fake(request)
    cmd, created = fake.registry.upsert(guild_id, body)
    fake.notify()
    return json_response(cmd, status=201 if created else 200)


async def get_command(request: web.Request) -> web.Response:
    guild_id = _command_scope(request)
    cmd = _fake(request).registry.get(guild_id, _int(request, "command_id"))
    if cmd is None:
        raise APIError(404, 10063, "Unknown application command")
    return json_response(cmd)


async def edit_command(request: web.Request) -> web.Response:
    guild_id = _command_scope(request)
    body, _ = await read_body(request)
    cmd = _fake(request).registry.edit(guild_id, _int(request, "command_id"), body)
    if cmd is None:
        raise APIError(404, 10063, "Unknown application command")
    return json_response(cmd)


async def delete_command(request: web.Request) -> web.Response:
    guild_id = _command_scope(request)
    if not _fake(request).registry.delete(guild_id, _int(request, "command_id")):
        raise APIError(404, 10063, "Unknown application command")
    return no_content()


# -- interactions and their webhooks ---------------------------------------------------------------------------------


async def interaction_callback(request: web.Request) -> web.Response:
    body, uploads = await read_body(request)
    fake = _fake(request)
    result = responses.interaction_callback(
        fake, _int(request, "interaction_id"), request.match_info["token"], body, uploads
    )
    if request.query.get("with_response", "").lower() in ("1", "true"):
        return json_response(result)
    return no_content()


async def webhook_execute(request: web.Request) -> web.Response:
    body, uploads = await read_body(request)
    message = responses.webhook_execute(
        _fake(request), _int(request, "application_id"), request.match_info["token"], body, uploads
    )
    if request.query.get("wait", "").lower() in ("1", "true"):
        return json_response(message)
    return no_content()


async def webhook_get_message(request: web.Request) -> web.Response:
    _, message = responses.webhook_message(
        _fake(request), _int(request, "application_id"), request.match_info["token"], request.match_info["message_id"]
    )
    return json_response(message)


async def webhook_edit_message(request: web.Request) -> web.Response:
    fake = _fake(request)
    body, uploads = await read_body(request)
    _, message = responses.webhook_message(
        fake, _int(request, "application_id"), request.match_info["token"], request.match_info["message_id"]
    )
    return json_response(fake.edit_message(message, body, uploads))


async def webhook_delete_message(request: web.Request) -> web.Response:
    fake = _fake(request)
    _, message = responses.webhook_message(
        fake, _int(request, "application_id"), request.match_info["token"], request.match_info["message_id"]
    )
    fake.delete_message(int(message["id"]))
    return no_content()


# -- channels and messages ----------------------------------------------------------------------------------------


def _channel(request: web.Request) -> JSON:
    channel = _fake(request).channels.get(_int(request, "channel_id"))
    if channel is None:
        raise APIError(404, 10003, "Unknown Channel")
    return channel


def _channel_message(request: web.Request) -> JSON:
    channel = _channel(request)
    message = _fake(request).messages.get(_int(request, "message_id"))
    if message is None or message["channel_id"] != channel["id"]:
        raise APIError(404, 10008, "Unknown Message")
    return message


async def get_channel(request: web.Request) -> web.Response:
    return json_response(_channel(request))


async def create_channel_message(request: web.Request) -> web.Response:
    channel = _channel(request)
    body, uploads = await read_body(request)
    if not (
        body.get("content")
        or body.get("embeds")
        or body.get("components")
        or uploads
        or body.get("sticker_ids")
        or body.get("poll")
    ):
        raise APIError(400, 50006, "Cannot send an empty message")
    fake = _fake(request)
    nonce = body.get("nonce")
    if nonce is not None:
        if not isinstance(nonce, str | int) or len(str(nonce)) > 25:
            problem = ((("nonce",), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."),)
            raise APIError(400, 50035, "Invalid Form Body", form_errors(problem))
        # enforce_nonce: the same author sending the same nonce again within minutes gets the first message back
        earlier = fake.by_nonce(str(nonce)) if body.get("enforce_nonce") else None
        if earlier is not None:
            return json_response(earlier)
    message = fake.create_message(int(channel["id"]), body, uploads)
    if nonce is not None and body.get("enforce_nonce"):
        fake.remember_nonce(str(nonce), message)
    return json_response(message)


async def list_channel_messages(request: web.Request) -> web.Response:
    channel = _channel(request)
    messages = _fake(request).channel_messages(int(channel["id"]), include_ephemeral=False)
    before, after = request.query.get("before"), request.query.get("after")
    if before and before.isdigit():
        messages = [m for m in messages if int(m["id"]) < int(before)]
    if after and after.isdigit():
        messages = [m for m in messages if int(m["id"]) > int(after)]
    limit = max(1, min(100, int(request.query.get("limit", "50") or 50)))
    newest_first = list(reversed(messages))
    if after and not before:
        return json_response(list(reversed(messages[:limit])))
    return json_response(newest_first[:limit])


async def get_channel_message(request: web.Request) -> web.Response:
    return json_response(_channel_message(request))


async def edit_channel_message(request: web.Request) -> web.Response:
    fake = _fake(request)
    message = _channel_message(request)
    if message["author"]["id"] != fake.bot_user["id"]:
        raise APIError(403, 50005, "Cannot edit a message authored by another user")
    body, uploads = await read_body(request)
    return json_response(fake.edit_message(message, body, uploads))


async def delete_channel_message(request: web.Request) -> web.Response:
    message = _channel_message(request)
    _fake(request).delete_message(int(message["id"]))
    return no_content()


async def trigger_typing(request: web.Request) -> web.Response:
    _channel(request)
    return no_content()


# -- guilds -----------------------------------------------------------------------------------------------------------

_GUILD_CREATE_ONLY = {
    "joined_at",
    "large",
    "unavailable",
    "member_count",
    "voice_states",
    "members",
    "channels",
    "threads",
    "presences",
    "stage_instances",
    "guild_scheduled_events",
    "lazy",
}


def _guild(request: web.Request) -> JSON:
    guild = _fake(request).guilds.get(_int(request, "guild_id"))
    if guild is None:
        raise APIError(403, 50001, "Missing Access")
    return guild


async def get_guild(request: web.Request) -> web.Response:
    guild = _guild(request)
    return json_response({k: v for k, v in guild.items() if k not in _GUILD_CREATE_ONLY})


async def get_guild_channels(request: web.Request) -> web.Response:
    return json_response(_guild(request)["channels"])


async def get_attachment(request: web.Request) -> web.Response:
    data = _fake(request).attachments.get(_int(request, "attachment_id"))
    if data is None:
        raise web.HTTPNotFound()
    return web.Response(body=data, content_type="application/octet-stream")


async def gateway_ws(request: web.Request) -> web.StreamResponse:
    return await _fake(request).gateway.handle(request)


def build_app(fake: FakeDiscord) -> web.Application:
    app = web.Application(middlewares=[discord_middleware], client_max_size=64 * 1024 * 1024)
    app[FAKE_KEY] = fake
    api = API_PREFIX
    app_cmds = api + "/applications/{application_id}/commands"
    guild_cmds = api + "/applications/{application_id}/guilds/{guild_id}/commands"
    hook = api + "/webhooks/{application_id}/{token}"
    chan = api + "/channels/{channel_id}"
    app.add_routes(
        [
            web.get("/gateway", gateway_ws),
            web.get("/attachments/{attachment_id}/{filename}", get_attachment),
            web.get(api + "/users/@me", get_me),
            web.post(api + "/users/@me/channels", create_dm),
            web.get(api + "/users/{user_id}", get_user),
            web.get(api + "/oauth2/applications/@me", get_application),
            web.get(api + "/applications/@me", get_application),
            web.get(api + "/gateway", get_gateway),
            web.get(api + "/gateway/bot", get_gateway_bot),
            web.get(app_cmds, list_commands),
            web.put(app_cmds, bulk_overwrite_commands),
            web.post(app_cmds, create_command),
            web.get(app_cmds + "/{command_id}", get_command),
            web.patch(app_cmds + "/{command_id}", edit_command),
            web.delete(app_cmds + "/{command_id}", delete_command),
            web.get(guild_cmds, list_commands),
            web.put(guild_cmds, bulk_overwrite_commands),
            web.post(guild_cmds, create_command),
            web.get(guild_cmds + "/{command_id}", get_command),
            web.patch(guild_cmds + "/{command_id}", edit_command),
            web.delete(guild_cmds + "/{command_id}", delete_command),
            web.post(api + "/interactions/{interaction_id}/{token}/callback", interaction_callback),
            web.post(hook, webhook_execute),
            web.get(hook + "/messages/{message_id}", webhook_get_message),
            web.patch(hook + "/messages/{message_id}", webhook_edit_message),
            web.delete(hook + "/messages/{message_id}", webhook_delete_message),
            web.get(chan, get_channel),
            web.get(chan + "/messages", list_channel_messages),
            web.post(chan + "/messages", create_channel_message),
            web.get(chan + "/messages/{message_id}", get_channel_message),
            web.patch(chan + "/messages/{message_id}", edit_channel_message),
            web.delete(chan + "/messages/{message_id}", delete_channel_message),
            web.post(chan + "/typing", trigger_typing),
            web.get(api + "/guilds/{guild_id}", get_guild),
            web.get(api + "/guilds/{guild_id}/channels", get_guild_channels),
        ]
    )
    return app
