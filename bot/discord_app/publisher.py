"""Quiz messages on Discord: post, edit and link by channel id, with no dependency on the cache."""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.core.reply import Reply
from bot.discord_app.replies import NO_MENTIONS, to_embed, to_view

log = logging.getLogger(__name__)


class DiscordPublisher:
    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def post(self, channel_id: int, reply: Reply, nonce: str | None = None) -> int | None:
        channel = self.client.get_partial_messageable(channel_id)
        extra: dict[str, Any] = {} if nonce is None else {"nonce": nonce}  # discord.py adds enforce_nonce
        view = to_view(reply)
        if view is not None:  # discord.py's overloads of send take a view or none at all, not view=None
            extra["view"] = view
        try:
            message = await channel.send(embed=to_embed(reply), allowed_mentions=NO_MENTIONS, **extra)
        except (discord.Forbidden, discord.NotFound):
            log.warning("cannot post in channel %d", channel_id, exc_info=True)
            return None
        return message.id

    async def edit(self, channel_id: int, message_id: int, reply: Reply) -> bool:
        message = self.client.get_partial_messageable(channel_id).get_partial_message(message_id)
        try:
            await message.edit(embed=to_embed(reply), view=to_view(reply), allowed_mentions=NO_MENTIONS)
        except (discord.Forbidden, discord.NotFound):
            return False
        return True

    def link(self, guild_id: int, channel_id: int, message_id: int | None) -> str:
        if message_id is None:
            return f"https://discord.com/channels/{guild_id}/{channel_id}"
        return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"

    async def channel_guild(self, channel_id: int) -> int | None:
        channel = self.client.get_channel(channel_id)
        if channel is None:
            try:
                channel = await self.client.fetch_channel(channel_id)
            except (discord.Forbidden, discord.NotFound, discord.InvalidData):
                return None
        guild = getattr(channel, "guild", None)
        return None if guild is None else int(guild.id)
