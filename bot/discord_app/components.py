"""Buttons and menus that survive restarts: their custom_id is ``ksb:`` plus an action of ids.

A click is told apart by its custom_id alone, whatever message it is on, so nothing is registered per message and
nothing needs registering again after a restart; the services validate the ids on every click. The bot takes its
clicks straight from the interaction (``clicked``, called from ``StudyBot.dispatch``) rather than through
discord.py's dynamic items, which rebuild a view of the clicked message's every component for each click to find
the one clicked: that was about a tenth of the bot's CPU per answer click under load, for nothing used.
"""

from __future__ import annotations

from typing import Any

import discord

from bot.core import limits
from bot.core.actions import MENU_KIND, PREFIX
from bot.core.reply import Menu

MENU_PREFIX = f"{PREFIX}{MENU_KIND}:"
"""Menus' ids; every other ``ksb:`` id, well formed or not, is a button's: the router refuses a malformed or
outdated one with a message (rather than Discord's "interaction failed")."""


class ActionView(discord.ui.View):
    """The buttons and menu of one reply, never kept by discord.py: clicks are taken by their custom_id
    (``clicked``). discord.py stores every view sent that is not finished (an interaction's reply whatever its
    items) to dispatch its clicks itself, so a view per message would stay in memory for good and each click would
    also start a task for the item's own (empty) callback. A view stopped before it is sent is never stored; its
    components are sent all the same. (``is_dispatchable`` False too, for the paths that look at that.)"""

    def __init__(self) -> None:
        super().__init__(timeout=None)
        self.stop()

    def is_dispatchable(self) -> bool:
        return False


def button(label: str, action: str, style: discord.ButtonStyle, disabled: bool) -> discord.ui.Button[Any]:
    return discord.ui.Button(label=label[: limits.BUTTON_LABEL], style=style, custom_id=PREFIX + action, disabled=disabled)


def menu(menu: Menu) -> discord.ui.Select[Any]:
    return discord.ui.Select(
        custom_id=PREFIX + menu.action,
        placeholder=menu.placeholder[: limits.SELECT_PLACEHOLDER],
        options=[
            discord.SelectOption(
                label=o.label[: limits.SELECT_OPTION_LABEL],
                value=o.value,
                description=(o.description or "")[: limits.SELECT_OPTION_DESCRIPTION] or None,
            )
            for o in menu.options[: limits.SELECT_OPTIONS]
        ],
    )


def clicked(interaction: discord.Interaction) -> tuple[str, tuple[str, ...]] | None:
    """The action of a click on one of this bot's buttons or menus, with the values picked (a menu's; none for a
    button, also one forged with a menu's id); None for any other interaction."""
    if interaction.type is not discord.InteractionType.component:
        return None
    data: Any = interaction.data or {}
    custom_id = data.get("custom_id")
    if not isinstance(custom_id, str) or not custom_id.startswith(PREFIX):
        return None
    is_menu = custom_id.startswith(MENU_PREFIX) and data.get("component_type") != discord.ComponentType.button.value
    values = tuple(str(v) for v in data.get("values") or ()) if is_menu else ()
    return custom_id[len(PREFIX) :], values
