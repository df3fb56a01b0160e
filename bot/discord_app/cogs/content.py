"""Builds one slash-command group per content module from the command catalogue, and runs them.

Commands are made from data, so a new content module needs no code here: each spec's options become typed
parameters of a generated callback, and every callback goes through the same router as the console.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord_app import replies
from bot.discord_app.caller import caller_of
from bot.services.catalog import ADMIN_SUFFIX, SUBGROUP_DESCRIPTIONS, CommandSpec, OptionSpec

if TYPE_CHECKING:
    from bot.discord_app.bot import StudyBot


class ContentCog(commands.Cog):
    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot
        self.groups: list[app_commands.Group] = []

    async def cog_load(self) -> None:
        router = self.bot.router
        for group_name in router.groups:
            group = _group(group_name, router.group_description(group_name), admin=group_name.endswith(ADMIN_SUFFIX))
            subgroups: dict[str, app_commands.Group] = {}
            for spec in router.specs(group_name):
                parent, _, leaf = spec.name.rpartition(" ")
                if not parent:
                    group.add_command(self._command(spec, spec.name))
                    continue
                if parent not in subgroups:
                    description = SUBGROUP_DESCRIPTIONS.get(parent, parent.capitalize())
                    subgroups[parent] = app_commands.Group(name=parent, description=description, parent=group)
                subgroups[parent].add_command(self._command(spec, leaf))
            self.bot.tree.add_command(group)
            self.groups.append(group)

    async def cog_unload(self) -> None:
        for group in self.groups:
            self.bot.tree.remove_command(group.name)
        self.groups.clear()

    def _command(self, spec: CommandSpec, name: str) -> app_commands.Command[Any, ..., None]:
        bot = self.bot

        async def callback(interaction: discord.Interaction, **options: Any) -> None:
            given = {name: _plain(value) for name, value in options.items() if value is not None}
            reply = await bot.router.run(caller_of(interaction), spec.group, spec.name, given)
            await replies.send(interaction, reply)

        parameters = [
            inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction)
        ]
        parameters += [
            inspect.Parameter(
                option.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=_annotation(option),
                default=inspect.Parameter.empty if option.required else None,
            )
            for option in spec.options
        ]
        callback.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        if spec.options:
            app_commands.describe(**{o.name: o.description for o in spec.options})(callback)
        choices = {o.name: [app_commands.Choice(name=c, value=c) for c in o.choices] for o in spec.options if o.choices}
        if choices:
            app_commands.choices(**choices)(callback)
        command: app_commands.Command[Any, ..., None] = app_commands.Command(
            name=name, description=spec.description, callback=callback
        )
        for option in spec.options:
            if option.autocomplete:
                command.autocomplete(option.name)(self._completer(spec, option))
        return command

    def _completer(
        self, spec: CommandSpec, option: OptionSpec
    ) -> Callable[[discord.Interaction, str], Coroutine[Any, Any, list[app_commands.Choice[str]]]]:
        router = self.bot.router

        async def complete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
            labels = router.autocomplete(spec.group, spec.name, option.name, current)
            return [app_commands.Choice(name=label, value=label) for label in labels]

        return complete


def _group(name: str, description: str, *, admin: bool) -> app_commands.Group:
    """A top-level command. An admin group is shown only to members with Manage Server by default (server admins
    may change that in Discord's settings, which is why the services check the permission again) and never in
    direct messages."""
    if not admin:
        return app_commands.Group(name=name, description=description)
    return app_commands.Group(
        name=name,
        description=description,
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )


def _plain(value: Any) -> Any:
    """Option values as the router takes them: members, users and channels become their ids."""
    if isinstance(value, str | int | float):
        return value  # most options; the check below is slow (discord.abc.User is a runtime-checked Protocol)
    if isinstance(value, discord.abc.User | discord.abc.GuildChannel | app_commands.AppCommandChannel):
        return value.id
    return value


def _annotation(option: OptionSpec) -> Any:
    if option.kind == "user":
        return discord.User
    if option.kind == "channel":
        return discord.TextChannel
    if option.kind == "integer":
        low = option.min_value if option.min_value is not None else -(2**53)
        high = option.max_value if option.max_value is not None else 2**53
        return app_commands.Range[int, low, high]
    if option.choices:
        return str
    if option.min_length is not None or option.max_length is not None:
        return app_commands.Range[str, option.min_length or 0, option.max_length or 6000]
    return str
