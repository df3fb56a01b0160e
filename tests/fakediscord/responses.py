"""How the fake answers the bot: interaction callbacks and the interaction webhook (followups, @original).

Discord's rules enforced here: 3 s to acknowledge (10062), one acknowledgement (40060), callback types valid
for the interaction type, message limits (50035), tokens usable as webhooks only once acknowledged (10015).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .interactions import InteractionRecord
from .payloads import (
    APPLICATION_COMMAND,
    APPLICATION_COMMAND_AUTOCOMPLETE,
    CB_AUTOCOMPLETE_RESULT,
    CB_CHANNEL_MESSAGE_WITH_SOURCE,
    CB_DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE,
    CB_DEFERRED_UPDATE_MESSAGE,
    CB_MODAL,
    CB_PONG,
    CB_UPDATE_MESSAGE,
    FLAG_EPHEMERAL,
    FLAG_LOADING,
    JSON,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
)
from .records import APIError, Upload
from .validation import check_autocomplete, check_modal, form_errors

if TYPE_CHECKING:
    from .fake import FakeDiscord

WEBHOOK_TOKEN_LIFETIME = 15 * 60

ALLOWED_CALLBACKS: dict[int, set[int]] = {
    APPLICATION_COMMAND: {CB_CHANNEL_MESSAGE_WITH_SOURCE, CB_DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE, CB_MODAL},
    APPLICATION_COMMAND_AUTOCOMPLETE: {CB_AUTOCOMPLETE_RESULT},
    MESSAGE_COMPONENT: {
        CB_CHANNEL_MESSAGE_WITH_SOURCE,
        CB_DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE,
        CB_DEFERRED_UPDATE_MESSAGE,
        CB_UPDATE_MESSAGE,
        CB_MODAL,
    },
    MODAL_SUBMIT: {
        CB_CHANNEL_MESSAGE_WITH_SOURCE,
        CB_DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE,
        CB_DEFERRED_UPDATE_MESSAGE,
        CB_UPDATE_MESSAGE,
    },
}


def interaction_callback(
    fake: FakeDiscord, interaction_id: int, token: str, body: JSON, uploads: Sequence[Upload]
) -> JSON:
    record = fake.interactions.get(interaction_id)
    if record is None or record.token != token:
        raise APIError(404, 10062, "Unknown interaction")
    now = asyncio.get_running_loop().time()
    if record.callback is not None:
        record.rejected_callbacks.append(body)
        raise APIError(400, 40060, "Interaction has already been acknowledged.")
    if record.sent_at is None or now - record.sent_at > fake.interaction_deadline:
        record.rejected_callbacks.append(body)
        raise APIError(404, 10062, "Unknown interaction")
    ctype = body.get("type")
    data: JSON = body.get("data") or {}
    allowed = ALLOWED_CALLBACKS[record.type]
    try:
        if ctype == CB_PONG or ctype not in allowed:
            raise APIError(
                400,
                50035,
                "Invalid Form Body",
                form_errors(
                    [(("type",), "INTERACTION_RESPONSE_TYPE_INVALID", f"Callback type {ctype} is not valid here")]
                ),
            )
        if ctype in (CB_DEFERRED_UPDATE_MESSAGE, CB_UPDATE_MESSAGE):
            if record.component_message_id is None:
                raise APIError(400, 40004, "Interaction has no message to update")
            if record.component_message_id not in fake.messages:
                raise APIError(404, 10008, "Unknown Message")
        if ctype == CB_AUTOCOMPLETE_RESULT and (problems := check_autocomplete(data)):
            raise APIError(400, 50035, "Invalid Form Body", form_errors(problems))
        if ctype == CB_MODAL and (problems := check_modal(data)):
            raise APIError(400, 50035, "Invalid Form Body", form_errors(problems))
        if ctype in (CB_CHANNEL_MESSAGE_WITH_SOURCE, CB_UPDATE_MESSAGE):
            fake.validate(data, prefix=("data",))
    except APIError:
        record.rejected_callbacks.append(body)
        raise

    channel_id = int(record.payload["channel_id"])
    message: JSON | None = None
    if ctype == CB_CHANNEL_MESSAGE_WITH_SOURCE:
        message = fake.create_message(channel_id, data, uploads, record=record, validated=True)
    elif ctype == CB_DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE:
        flags = FLAG_LOADING | (int(data.get("flags") or 0) & FLAG_EPHEMERAL)
        # the empty "thinking…" message is not one the bot wrote: its allowed_mentions are not tracked
        message = fake.create_message(channel_id, {}, record=record, extra_flags=flags, track_mentions=False)
    elif ctype == CB_UPDATE_MESSAGE:
        assert record.component_message_id is not None
        message = fake.edit_message(fake.messages[record.component_message_id], data, uploads)
    if message is not None:
        record.original_message_id = int(message["id"])
    elif ctype == CB_DEFERRED_UPDATE_MESSAGE:
        record.original_message_id = record.component_message_id
    record.callback = {"type": ctype, "data": data}
    record.callback_at = now
    fake.notify()

    response: JSON = {
        "interaction": {
            "id": str(record.id),
            "type": record.type,
            "activity_instance_id": None,
            "response_message_id": message["id"] if message else None,
            "response_message_loading": ctype == CB_DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE,
            "response_message_ephemeral": bool(message and int(message["flags"]) & FLAG_EPHEMERAL),
        },
        "resource": {"type": ctype},
    }
    if message is not None:
        response["resource"]["message"] = message
    return response


def _webhook_record(fake: FakeDiscord, application_id: int, token: str) -> InteractionRecord:
    record = fake.interactions_by_token.get(token)
    if application_id != fake.application_id or record is None:
        raise APIError(404, 10015, "Unknown Webhook")
    if record.callback is None:
        # The interaction token only becomes a webhook once the interaction was acknowledged.
        raise APIError(404, 10015, "Unknown Webhook")
    assert record.sent_at is not None
    if asyncio.get_running_loop().time() - record.sent_at > WEBHOOK_TOKEN_LIFETIME:
        raise APIError(401, 50027, "Invalid Webhook Token")
    return record


def webhook_message(
    fake: FakeDiscord, application_id: int, token: str, message_id: str
) -> tuple[InteractionRecord, JSON]:
    record = _webhook_record(fake, application_id, token)
    if message_id == "@original":
        mid = record.original_message_id
    else:
        mid = int(message_id) if message_id.isdigit() else None
        if mid not in record.followup_ids and mid != record.original_message_id:
            mid = None
    if mid is None or mid not in fake.messages:
        raise APIError(404, 10008, "Unknown Message")
    return record, fake.messages[mid]


def webhook_execute(fake: FakeDiscord, application_id: int, token: str, body: JSON, uploads: Sequence[Upload]) -> JSON:
    """A followup. After a type-5 defer, Discord's first followup replaces the "thinking…" message."""
    record = _webhook_record(fake, application_id, token)
    original = fake.messages.get(record.original_message_id or 0)
    if original is not None and int(original.get("flags", 0)) & FLAG_LOADING:
        message = fake.edit_message(original, {**body, "flags": None}, uploads)
    else:
        message = fake.create_message(int(record.payload["channel_id"]), body, uploads, record=record)
    record.followup_ids.append(int(message["id"]))
    fake.notify()
    return message
