"""The baseline the benchmark compares the study bot against: the smallest useful discord.py bot.

``commands.Bot`` with the guilds intent only (the study bot asks for the same) and one slash command, ``/noop``,
that answers ``ok``. Like the study bot it syncs its command tree at start-up. It talks only to a local fake
Discord: ``DISCORD_API_URL`` and ``DISCORD_GATEWAY_URL`` must be loopback URLs, as for ``python -m bot run``.

Controls: with ``BENCH_STATIC_REPLY`` naming a JSON file ``{"embeds": [...], "components": [...]}`` (a reply the
study bot sent), ``/static`` answers with that same embed and buttons, built the same way (an embed and a view of
dynamic buttons per reply) but with no work behind it. It shows what a reply of that size costs discord.py and
the fake by itself. If the file also holds ``"question"`` (a quiz question message the study bot posted) and
``"click_reply"`` (its answer to a click on one of its buttons), ``/question`` posts that question, and a click
on any of its buttons gets that reply, ephemeral, with no work behind it: what an answer click costs discord.py.

Run by ``python -m bench`` as ``python bench/bare_bot.py`` in its own process. Besides discord.py it imports only
``bot.discord_app.endpoints`` (standard library, discord.py and yarl; the package ``__init__`` files are docstrings),
the one function the study bot uses too to point discord.py at the fake, so its memory and start-up are those of
discord.py itself.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import discord
from discord.ext import commands

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: make ``bot`` importable
from bot.discord_app.endpoints import use_local_discord

CLICK_REPLY: dict[str, Any] | None = None
"""The reply a click on a StaticButton gets (the study bot's answer to a quiz answer click), if one was given."""


class StaticButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"ksb:(?P<action>.+)"):
    """A button that, like the study bot's, needs no view kept per message."""

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> StaticButton:
        return cls(item)  # type: ignore[arg-type]

    async def callback(self, interaction: discord.Interaction) -> None:
        if CLICK_REPLY is not None:
            embed = discord.Embed.from_dict(CLICK_REPLY["embeds"][0])
            await interaction.response.send_message(embed=embed, ephemeral=True)


def _view_of(message: dict[str, Any]) -> discord.ui.View:
    """A view of dynamic buttons like the ones in ``message``, built per reply as the study bot does."""
    view = discord.ui.View(timeout=None)
    for row in message.get("components") or []:
        for button in row.get("components") or []:
            item: discord.ui.Button[Any] = discord.ui.Button(
                label=button.get("label"),
                style=discord.ButtonStyle(button.get("style", 2)),
                custom_id=button["custom_id"],
                disabled=bool(button.get("disabled")),
            )
            view.add_item(StaticButton(item))
    return view


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

        @bot.tree.command(name="static", description="Answer with a fixed reply (a control for the benchmark)")
        async def static(interaction: discord.Interaction) -> None:
            embed = discord.Embed.from_dict(static_reply["embeds"][0])
            await interaction.response.send_message(embed=embed, view=_view_of(static_reply))

        question = static_reply.get("question")
        if question is not None:

            @bot.tree.command(name="question", description="Post a fixed quiz question (a control for the benchmark)")
            async def post_question(interaction: discord.Interaction) -> None:
                embed = discord.Embed.from_dict(question["embeds"][0])
                await interaction.response.send_message(embed=embed, view=_view_of(question))

    return bot


async def run(token: str, static_reply: dict[str, Any] | None) -> None:
    async with build(static_reply) as bot:
        await bot.start(token)


def main() -> int:
    api = os.environ.get("DISCORD_API_URL", "")
    gateway = os.environ.get("DISCORD_GATEWAY_URL", "")
    try:
        use_local_discord(api, gateway)
    except ValueError as exc:
        print(
            f"bare_bot: DISCORD_API_URL and DISCORD_GATEWAY_URL must point at a local fake Discord: {exc}",
            file=sys.stderr,
        )
        return 2
    reply_file = os.environ.get("BENCH_STATIC_REPLY")
    static_reply = json.loads(Path(reply_file).read_text()) if reply_file else None
    global CLICK_REPLY
    CLICK_REPLY = (static_reply or {}).get("click_reply")
    try:
        asyncio.run(run(os.environ.get("DISCORD_TOKEN", "fake-token"), static_reply))
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
