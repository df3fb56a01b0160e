"""Render a neutral reply as a discord.py embed and view, and send it the right way for an interaction.

Bodies and field values are neutral ``Text``; ``bot.discord_app.markup`` writes them as Discord markup.
"""

from __future__ import annotations

import io
from typing import Any

import discord

from bot.core.reply import Reply
from bot.discord_app.components import ActionButton, ActionMenu
from bot.discord_app.forms import to_modal
from bot.discord_app.markup import markup

NO_MENTIONS = discord.AllowedMentions.none()
ERROR_COLOR = 0xE74C3C

_STYLES = {
    "primary": discord.ButtonStyle.primary,
    "secondary": discord.ButtonStyle.secondary,
    "success": discord.ButtonStyle.success,
    "danger": discord.ButtonStyle.danger,
}


def to_embed(reply: Reply) -> discord.Embed:
    color = ERROR_COLOR if reply.is_error else reply.color
    embed = discord.Embed(title=reply.title, description=markup(reply.body) or None, color=color)
    for field in reply.fields:
        embed.add_field(name=field.name, value=markup(field.value), inline=field.inline)
    if reply.footer:
        embed.set_footer(text=reply.footer)
    return embed


def to_view(reply: Reply) -> discord.ui.View | None:
    """A view of dynamic items only: discord.py keeps no per-message state for it, and it works after restarts."""
    if not reply.buttons and reply.menu is None:
        return None
    view = discord.ui.View(timeout=None)
    if reply.menu is not None:
        view.add_item(ActionMenu.build(reply.menu))
    for button in reply.buttons:
        view.add_item(ActionButton.build(button.label, button.action, _STYLES[button.style], button.disabled))
    return view


async def send(interaction: discord.Interaction, reply: Reply) -> None:
    """Answer an interaction with a new message (or a followup if it was already answered); a reply that carries a
    form opens it as a modal instead."""
    if reply.form is not None and not interaction.response.is_done():
        await interaction.response.send_modal(to_modal(reply))
        return
    extra: dict[str, Any] = {}
    view = to_view(reply)
    if view is not None:
        extra["view"] = view
    if reply.attachment is not None:
        data = io.BytesIO(reply.attachment.text.encode("utf-8"))
        extra["file"] = discord.File(data, filename=reply.attachment.filename)
    embed = to_embed(reply)
    if interaction.response.is_done():
        await interaction.followup.send(embed=embed, ephemeral=reply.ephemeral, allowed_mentions=NO_MENTIONS, **extra)
    else:
        await interaction.response.send_message(
            embed=embed, ephemeral=reply.ephemeral, allowed_mentions=NO_MENTIONS, **extra
        )


async def update(interaction: discord.Interaction, reply: Reply) -> None:
    """Answer a button or menu: replace the clicked message, or answer the clicker alone (ephemeral replies).

    A message only the clicker sees (an ephemeral one, such as a settings history page) is replaced by an
    ephemeral reply too: turning its pages edits it rather than piling up copies. Errors still come as a new
    message, so the clicked one stays usable.
    """
    if reply.form is not None:
        await send(interaction, reply)
        return
    clicked = interaction.message
    private = clicked is not None and clicked.flags.ephemeral and not reply.is_error
    if (reply.ephemeral and not private) or interaction.response.is_done():
        await send(interaction, reply)
        return
    await interaction.response.edit_message(embed=to_embed(reply), view=to_view(reply), allowed_mentions=NO_MENTIONS)
