"""A neutral form as a Discord modal, and a submitted modal back as (action, text).

Like the buttons, a modal survives restarts: its custom_id is ``ksb:`` plus the form's id-only action, and discord.py
keeps no modal object waiting for it (the modal is marked finished before it is sent, so discord.py does not store
it). Every submission of one of our modals, whenever it comes, is read from the interaction itself by ``submitted``
and handled by the bot's ``on_form_submit``; the use case behind the action checks the text.
"""

from __future__ import annotations

from typing import Any

import discord

from bot.core import limits
from bot.core.actions import PREFIX
from bot.core.reply import Reply

TEXT_FIELD = "text"
"""The custom_id of a form's one text input."""


def to_modal(reply: Reply) -> discord.ui.Modal:
    """The modal for a reply that carries a form, titled with the reply's title."""
    form = reply.form
    if form is None:
        raise ValueError("this reply has no form")
    modal = discord.ui.Modal(title=reply.title[: limits.MODAL_TITLE], custom_id=PREFIX + form.action, timeout=None)
    modal.add_item(
        discord.ui.TextInput(
            label=form.label,
            custom_id=TEXT_FIELD,
            style=discord.TextStyle.paragraph if form.long else discord.TextStyle.short,
            placeholder=form.placeholder or None,
            min_length=form.min_length,
            max_length=form.max_length,
            required=form.min_length > 0,
        )
    )
    modal.stop()  # finished, so discord.py does not keep it: a submission is ours to read, before or after a restart
    return modal


def is_ours(interaction: discord.Interaction) -> bool:
    """A submitted modal that this bot made (so the cheap test comes first: most interactions are clicks)."""
    if interaction.type is not discord.InteractionType.modal_submit:
        return False
    data: Any = interaction.data or {}
    custom_id = data.get("custom_id")
    return isinstance(custom_id, str) and custom_id.startswith(PREFIX)


def submitted(interaction: discord.Interaction) -> tuple[str, str]:
    """The action and the typed text of one of our submitted modals (empty text when the input is missing, which
    the use case refuses with a message)."""
    data: Any = interaction.data or {}
    action = str(data.get("custom_id", "")).removeprefix(PREFIX)
    return action, _text(data.get("components"))


def _text(components: Any) -> str:
    """The value of the text input ``TEXT_FIELD``, in an action row (type 1) or a label (type 18)."""
    if not isinstance(components, list):
        return ""
    for component in components:
        if not isinstance(component, dict):
            continue
        kind = component.get("type")
        if kind == 1:
            found = _text(component.get("components"))
        elif kind == 18:
            found = _text([component.get("component")])
        elif kind == 4 and component.get("custom_id") == TEXT_FIELD:
            value = component.get("value")
            found = value if isinstance(value, str) else ""
        else:
            continue
        if found:
            return found
    return ""
