"""Buttons and menus that survive restarts: dynamic items whose custom_id is ``ksb:`` plus an action of ids.

discord.py matches a click to these classes by the custom_id's pattern, whatever message it is on, so no
view needs to be re-registered after a restart; the services validate the ids on every click.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, cast

import discord

from bot.core import limits
from bot.core.actions import MENU_KIND, PREFIX
from bot.core.reply import Menu

if TYPE_CHECKING:
    from bot.discord_app.bot import StudyBot

BUTTON_PATTERN = rf"ksb:(?P<action>(?!{MENU_KIND}:)[\s\S]*)"
"""Every ``ksb:`` id that is not a menu's, well formed or not: the router refuses a malformed or outdated one
with a message (rather than Discord's "interaction failed"). The two patterns must not overlap, or one class
would get both."""
MENU_PATTERN = rf"ksb:(?P<action>{MENU_KIND}:[\s\S]*)"


def _bot(interaction: discord.Interaction) -> StudyBot:
    return cast("StudyBot", interaction.client)


class ActionButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=BUTTON_PATTERN):
    def __init__(self, item: discord.ui.Button[Any], action: str) -> None:
        super().__init__(item)
        self.action = action

    @classmethod
    def build(cls, label: str, action: str, style: discord.ButtonStyle, disabled: bool) -> ActionButton:
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=label[: limits.BUTTON_LABEL], style=style, custom_id=PREFIX + action, disabled=disabled
        )
        return cls(button, action)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ActionButton:
        return cls(cast("discord.ui.Button[Any]", item), match["action"])

    async def callback(self, interaction: discord.Interaction) -> None:
        await _bot(interaction).handle_action(interaction, self.action, ())


class ActionMenu(discord.ui.DynamicItem[discord.ui.Select[Any]], template=MENU_PATTERN):
    def __init__(self, item: discord.ui.Select[Any], action: str) -> None:
        super().__init__(item)
        self.action = action

    @classmethod
    def build(cls, menu: Menu) -> ActionMenu:
        select: discord.ui.Select[Any] = discord.ui.Select(
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
        return cls(select, menu.action)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ActionMenu:
        return cls(cast("discord.ui.Select[Any]", item), match["action"])

    async def callback(self, interaction: discord.Interaction) -> None:
        values = tuple(getattr(self.item, "values", ()))  # a forged menu id on a button has no values
        await _bot(interaction).handle_action(interaction, self.action, values)
