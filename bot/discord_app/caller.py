"""Who clicked or typed, as the services see it."""

from __future__ import annotations

import discord

from bot.services.catalog import Caller

POSTING_PERMISSIONS = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
    ("embed_links", "Embed Links"),
)
"""What the bot needs in a channel to post quiz messages there (the interaction's app permissions say)."""


def caller_of(interaction: discord.Interaction) -> Caller:
    permissions = interaction.permissions
    app = interaction.app_permissions
    missing = (
        ()
        if interaction.guild_id is None
        else tuple(name for flag, name in POSTING_PERMISSIONS if not getattr(app, flag))
    )
    return Caller(
        user_id=interaction.user.id,
        display_name=interaction.user.display_name,
        guild_id=interaction.guild_id,
        channel_id=interaction.channel_id,
        can_manage_guild=interaction.guild_id is not None and permissions.manage_guild,
        bot_missing=missing,
    )
