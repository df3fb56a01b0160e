"""Per-server settings use cases: show, set (Manage Server, checked here on every call), history."""

from __future__ import annotations

from collections.abc import Mapping

from bot.core import server_settings as core
from bot.core.content.library import ContentModule
from bot.core.errors import InvalidInput
from bot.core.render import footer
from bot.core.reply import Reply, ReplyField
from bot.services.catalog import Caller, CommandSpec, OptionSpec
from bot.services.clock import Clock
from bot.settings import Settings
from bot.storage.database import Database
from bot.storage.repositories.settings import SettingsRepository

SETTINGS_COMMANDS = ("settings show", "settings set", "settings history")


def defaults_from(settings: Settings) -> core.ServerSettings:
    """What a server gets before its admins change anything: the host's QUIZ_* settings."""
    return core.ServerSettings(
        questions=settings.quiz_questions,
        seconds=settings.quiz_seconds,
        points=settings.quiz_points,
        speed_bonus=settings.quiz_speed_bonus,
    )


class SettingsService:
    def __init__(self, db: Database, clock: Clock, defaults: core.ServerSettings) -> None:
        self.repo = SettingsRepository(db)
        self.clock = clock
        self.defaults = defaults

    async def effective(self, guild_id: int, module: ContentModule) -> core.ServerSettings:
        return core.decode(await self.repo.values(guild_id), self.defaults, [t.id for t in module.topics])

    def command_specs(self, module: ContentModule) -> list[CommandSpec]:
        return [
            CommandSpec(module.id, "settings show", "This server's quiz settings", guild_only=True),
            CommandSpec(
                module.id,
                "settings set",
                "Change a setting (Manage Server)",
                (
                    OptionSpec("setting", "Which setting", required=True, choices=tuple(core.SPECS)),
                    OptionSpec("value", "The new value", required=True, min_length=1, max_length=200),
                ),
                guild_only=True,
            ),
            CommandSpec(module.id, "settings history", "Who changed which setting, and when", guild_only=True),
        ]

    async def run(self, caller: Caller, module: ContentModule, name: str, options: Mapping[str, str | int]) -> Reply:
        if caller.guild_id is None:
            raise InvalidInput("Settings belong to a server; use this command in one.")
        if name == "settings set":
            return await self.set(caller, module, str(options["setting"]), str(options["value"]))
        if name == "settings history":
            return await self.history(caller.guild_id, module)
        return await self.show(caller.guild_id, module)

    async def show(self, guild_id: int, module: ContentModule) -> Reply:
        current = await self.effective(guild_id, module)
        fields = [
            ReplyField(name=label, value=f"**{value}**\n-# {allowed}", inline=True)
            for label, value, allowed in core.describe(current)
        ]
        return Reply(
            title="Server settings",
            body=f"Change one with /{module.id} settings set (needs Manage Server).",
            fields=fields,
            footer=footer(module),
            color=module.info.color,
        )

    async def set(self, caller: Caller, module: ContentModule, key: str, text: str) -> Reply:
        if not caller.can_manage_guild:
            raise InvalidInput("Only members with the Manage Server permission can change settings.")
        assert caller.guild_id is not None
        value = core.parse_setting(key, text, [t.id for t in module.topics])
        stored = core.encode(value)
        old = await self.repo.change(caller.guild_id, caller.user_id, key, stored, self.clock.now_ms())
        spec = core.SPECS[key]
        before = "default" if old is None else _shown(spec, old, [t.id for t in module.topics])
        return Reply(
            title="Setting changed",
            body=f"**{spec.label}**: {before} → **{spec.show(value)}**",
            footer=footer(module),
            ephemeral=True,
        )

    async def history(self, guild_id: int, module: ContentModule) -> Reply:
        changes = await self.repo.history(guild_id)
        lines = [
            f"<t:{c.changed_ms // 1000}:f> · <@{c.user_id}> · **{c.key}**: {c.old_value or 'default'} → {c.new_value}"
            for c in changes
        ]
        return Reply(
            title="Settings history",
            body="\n".join(lines) or "No setting has been changed yet.",
            footer=footer(module),
            color=module.info.color,
            ephemeral=True,
        )


def _shown(spec: core.SettingSpec, stored: str, topics: list[str]) -> str:
    try:
        return spec.show(spec.parse(stored, topics))
    except InvalidInput:
        return stored
