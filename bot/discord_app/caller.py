"""Who clicked or typed, as the services see it."""

from __future__ import annotations

import discord

from bot.services.catalog import Caller


def caller_of(interaction: discord.Interaction) -> Caller:
    permissions = interaction.permissions
    return Caller(
        user_id=interaction.user.id,
        display_name=interaction.user.display_name,
        guild_id=interaction.guild_id,
        channel_id=interaction.channel_id,
        can_manage_guild=interaction.guild_id is not None and permissions.manage_guild,
    )
