"""The baseline the benchmark compares the study bot against: the smallest useful discord.py bot.

``commands.Bot`` with the guilds intent only (the study bot asks for the same) and one slash command, ``/noop``,
that answers ``ok``. Like the study bot it syncs its command tree at start-up. It talks only to a local fake
Discord: ``DISCORD_API_URL`` and ``DISCORD_GATEWAY_URL`` must be loopback URLs, as for ``python -m bot run``.

Controls: with ``BENCH_STATIC_REPLY`` naming a JSON file ``{"embeds": [...], "components": [...]}`` (a reply the
study bot sent), ``/static`` answers with that same embed and buttons, built the same way (an embed and a view of
buttons per reply) but with no work behind it. It shows what a reply of that size costs discord.py and
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
import sys
from pathlib import Path
from typing import Any

import discord
from discord.ext import commands

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: make ``bot`` importable
from bot.discord_app.endpoints import use_local_discord

CLICK_REPLY: dict[str, Any] | None = None
"""The reply a click on a StaticButton gets (the study bot's answer to a quiz answer click), if one was given."""


class StaticView(discord.ui.View):
    """Buttons taken by their custom_id, as the study bot's are: no view kept per message sent (stopped before it
    is sent, so discord.py does not store it; see ``bot.discord_app.components.ActionView``)."""

    def __init__(self) -> None:
        super().__init__(timeout=None)
        self.stop()

    def is_dispatchable(self) -> bool:
        return False


def _view_of(message: dict[str, Any]) -> discord.ui.View:
    """A view of buttons like the ones in ``message``, built per reply as the study bot does."""
    view = StaticView()
    for row in message.get("components") or []:
        for button in row.get("components") or []:
            item: discord.ui.Button[Any] = discord.ui.Button(
                label=button.get("label"),
                style=discord.ButtonStyle(button.get("style", 2)),
                custom_id=button["custom_id"],
                disabled=bool(button.get("disabled")),
            )
            view.add_item(item)
    return view


class BareBot(commands.Bot):
    """Clicks on ``ksb:`` buttons are taken from the interaction event by their custom_id, each in a task of its
    own, exactly as the study bot takes its own (``StudyBot.dispatch``)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._clicks: set[asyncio.Task[None]] = set()

    async def setup_hook(self) -> None:
        await self.tree.sync()

    def dispatch(self, event: str, /, *args: Any, **kwargs: Any) -> None:
        super().dispatch(event, *args, **kwargs)
        if event != "interaction":
            return
        interaction: discord.Interaction = args[0]
        data: Any = interaction.data or {}
        if interaction.type is discord.InteractionType.component and str(data.get("custom_id", "")).startswith("ksb:"):
            task = asyncio.get_running_loop().create_task(_answer_click(interaction))
            self._clicks.add(task)
            task.add_done_callback(self._clicks.discard)


async def _answer_click(interaction: discord.Interaction) -> None:
    if CLICK_REPLY is not None:
        embed = discord.Embed.from_dict(CLICK_REPLY["embeds"][0])
        await interaction.response.send_message(embed=embed, ephemeral=True)


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
