"""The baseline the benchmark compares the study bot against: the smallest useful discord.py bot.

``commands.Bot`` with the guilds intent only (the study bot asks for the same) and one slash command, ``/noop``,
that answers ``ok``. Like the study bot it syncs its command tree at start-up. It talks only to a local fake
Discord: ``DISCORD_API_URL`` and ``DISCORD_GATEWAY_URL`` must be loopback URLs, as for ``python -m bot run``.

A control: with ``BENCH_STATIC_REPLY`` naming a JSON file ``{"embeds": [...], "components": [...]}`` (a reply the
study bot sent), ``/static`` answers with that same embed and buttons, built the same way (an embed and a view of
dynamic buttons per reply) but with no work behind it. It shows what a reply of that size costs discord.py and
the fake by itself.

Run by ``python -m bench`` as ``python bench/bare_bot.py`` in its own process. Only discord.py is imported, so its
memory and start-up are those of discord.py itself.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import os
import re
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import discord
import discord.gateway
import discord.http
import yarl
from discord.ext import commands


def _loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class StaticButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"ksb:(?P<action>.+)"):
    """A button that, like the study bot's, needs no view kept per message."""

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> StaticButton:
        return cls(item)  # type: ignore[arg-type]


class BareBot(commands.Bot):
    async def setup_hook(self) -> None:
        self.add_dynamic_items(StaticButton)
        await self.tree.sync()


def build(static_reply: dict[str, Any] | None = None) -> BareBot:
    intents = discord.Intents.none()
    intents.guilds = True
    bot = BareBot(command_prefix=commands.when_mentioned, intents=intents)

    @bot.tree.command(name="noop", description="Answer ok and do nothing else")
    async def noop(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("ok")

    if static_reply is not None:
        embeds = static_reply.get("embeds") or []
        buttons = [c for row in static_reply.get("components") or [] for c in row.get("components") or []]

        @bot.tree.command(name="static", description="Answer with a fixed reply (a control for the benchmark)")
        async def static(interaction: discord.Interaction) -> None:
            view = discord.ui.View(timeout=None)
            for button in buttons:
                item: discord.ui.Button[Any] = discord.ui.Button(
                    label=button.get("label"),
                    style=discord.ButtonStyle(button.get("style", 2)),
                    custom_id=button["custom_id"],
                    disabled=bool(button.get("disabled")),
                )
                view.add_item(StaticButton(item))
            await interaction.response.send_message(embed=discord.Embed.from_dict(embeds[0]), view=view)

    return bot


async def run(token: str, static_reply: dict[str, Any] | None) -> None:
    async with build(static_reply) as bot:
        await bot.start(token)


def main() -> int:
    api = os.environ.get("DISCORD_API_URL", "")
    gateway = os.environ.get("DISCORD_GATEWAY_URL", "")
    if not (_loopback(api) and _loopback(gateway)):
        print("bare_bot: DISCORD_API_URL and DISCORD_GATEWAY_URL must point at a local fake Discord", file=sys.stderr)
        return 2
    discord.http.Route.BASE = api.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)
    reply_file = os.environ.get("BENCH_STATIC_REPLY")
    static_reply = json.loads(Path(reply_file).read_text()) if reply_file else None
    try:
        asyncio.run(run(os.environ.get("DISCORD_TOKEN", "fake-token"), static_reply))
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
