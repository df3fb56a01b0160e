"""Render a neutral reply as a discord.py embed and view, and send it the right way for an interaction.

Bodies and field values are neutral ``Text``; ``bot.discord_app.markup`` writes them as Discord markup.
"""

from __future__ import annotations

import io
from typing import Any

import discord

from bot.core.reply import Reply
from bot.discord_app import components
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
    if reply.attachment is not None and reply.attachment.image:
        embed.set_image(url=f"attachment://{reply.attachment.filename}")  # the file sent with it (see to_file)
    return embed


def to_file(reply: Reply) -> discord.File | None:
    """The reply's attachment as a file to upload; an image one is what the embed's image points at."""
    if reply.attachment is None:
        return None
    return discord.File(io.BytesIO(reply.attachment.content), filename=reply.attachment.filename)


def to_view(reply: Reply) -> discord.ui.View | None:
    """The reply's buttons and menu: discord.py keeps no per-message state for them, and they work after restarts
    (see ``components``)."""
    if not reply.buttons and reply.menu is None:
        return None
    view = components.ActionView()
    if reply.menu is not None:
        view.add_item(components.menu(reply.menu))
    for button in reply.buttons:
        view.add_item(components.button(button.label, button.action, _STYLES[button.style], button.disabled))
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
    file = to_file(reply)
    if file is not None:
        extra["file"] = file
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
    ephemeral reply too: turning its pages edits it rather than piling up copies. Errors and ``separate`` replies
    ("Read more") still come as a new message, so the clicked one stays usable.
    """
    if reply.form is not None:
        await send(interaction, reply)
        return
    clicked = interaction.message
    private = clicked is not None and clicked.flags.ephemeral and not reply.is_error
    if (reply.ephemeral and not private) or reply.separate or interaction.response.is_done():
        await send(interaction, reply)
        return
    file = to_file(reply)
    extra: dict[str, Any] = {} if file is None else {"attachments": [file]}
    await interaction.response.edit_message(
        embed=to_embed(reply), view=to_view(reply), allowed_mentions=NO_MENTIONS, **extra
    )
