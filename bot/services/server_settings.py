"""Per-server settings use cases: show, set (Manage Server, checked here on every call), history."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from bot.core import server_settings as core
from bot.core.actions import SettingsHistoryPage
from bot.core.content.library import ContentModule
from bot.core.errors import InvalidInput, NotFound
from bot.core.moderation import history_label
from bot.core.render import footer, quote
from bot.core.reply import Button, Reply, ReplyField
from bot.core.text import Mention, Small, Text, Timestamp, join, text
from bot.core.words import plural
from bot.services.catalog import Caller, CommandSpec, OptionSpec, OptionValue, admin_group
from bot.services.clock import Clock
from bot.services.config import ServiceSettings
from bot.storage.database import Database
from bot.storage.repositories.settings import SettingChange, SettingsRepository

HISTORY_PAGE = 10
"""Changes per history page: ten lines of date, member, setting and two values stay far inside one embed."""
VALUE_CHARS = 80
"""A value in a history line is cut here (a long topic list), so a full page never nears Discord's limits."""


def defaults_from(settings: ServiceSettings) -> core.ServerSettings:
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
        self.changed: list[Callable[[], Awaitable[object]]] = []
        """Called after a setting changed (the question-of-the-day schedule looks again)."""

    async def effective(self, guild_id: int, module: ContentModule) -> core.ServerSettings:
        return core.decode(await self.repo.values(guild_id), self.defaults, [t.id for t in module.topics])

    def command_specs(self, module: ContentModule) -> list[CommandSpec]:
        return [
            CommandSpec(
                module.id, "settings show", "This server's quiz settings", guild_only=True, handler=self.show_command
            ),
            CommandSpec(
                admin_group(module.id),
                "settings set",
                "Change a setting of this server's quizzes",
                (
                    OptionSpec("setting", "Which setting", required=True, choices=tuple(core.SPECS)),
                    OptionSpec("value", "The new value", required=True, min_length=1, max_length=200),
                ),
                guild_only=True,
                handler=self.set_command,
            ),
            CommandSpec(
                module.id,
                "settings history",
                "Who changed which setting, and when",
                guild_only=True,
                handler=self.history_command,
            ),
        ]

    async def show_command(self, caller: Caller, module: ContentModule, options: Mapping[str, OptionValue]) -> Reply:
        return await self.show(_guild(caller), module)

    async def set_command(self, caller: Caller, module: ContentModule, options: Mapping[str, OptionValue]) -> Reply:
        _guild(caller)
        return await self.set(caller, module, str(options["setting"]), str(options["value"]))

    async def history_command(self, caller: Caller, module: ContentModule, options: Mapping[str, OptionValue]) -> Reply:
        return await self.history(_guild(caller), module)

    async def turn_page(self, caller: Caller, module: ContentModule, page: int) -> Reply:
        """A history pager click: the page is checked against the clicker's own server's history."""
        if caller.guild_id is None:
            raise InvalidInput("Settings belong to a server; use this button in one.")
        return await self.history(caller.guild_id, module, page)

    async def show(self, guild_id: int, module: ContentModule) -> Reply:
        current = await self.effective(guild_id, module)
        fields = [
            ReplyField(name=label, value=text(f"**{value}**", Small(allowed)), inline=True)
            for label, value, allowed in core.describe(current)
        ]
        return Reply(
            title="Server settings",
            body=f"Change one with /{admin_group(module.id)} settings set (needs Manage Server).",
            fields=fields,
            footer=footer(module),
            color=module.info.color,
        )

    async def set(self, caller: Caller, module: ContentModule, key: str, text: str) -> Reply:
        if not caller.can_manage_guild:
            raise InvalidInput("Only members with the Manage Server permission can change settings.")
        assert caller.guild_id is not None
        topics = [t.id for t in module.topics]
        value = core.parse_setting(key, text, topics)
        stored = core.encode(value)
        default = core.encode(getattr(self.defaults, key))
        write = await self.repo.change(caller.guild_id, caller.user_id, key, stored, self.clock.now_ms(), default)
        spec = core.SPECS[key]
        if not write.changed:
            return Reply(
                title="Setting unchanged",
                body=f"**{spec.label}** is already **{spec.show(value)}**; nothing was changed or recorded.",
                footer=footer(module),
                ephemeral=True,
            )
        for changed in self.changed:
            await changed()
        return Reply(
            title="Setting changed",
            body=f"**{spec.label}**: {core.show_stored(key, write.old, topics)} → **{spec.show(value)}**",
            footer=footer(module),
            ephemeral=True,
        )

    async def history(self, guild_id: int, module: ContentModule, page: int = 0) -> Reply:
        """One page of who changed which setting and when, newest first, with buttons to the other pages."""
        total = await self.repo.history_size(guild_id)
        pages = max(1, -(-total // HISTORY_PAGE))
        if page >= pages:
            raise NotFound(
                f"That page of the settings history no longer exists (it has {plural(pages, 'page')}). "
                f"Run /{module.id} settings history again."
            )
        changes = await self.repo.history(guild_id, page * HISTORY_PAGE, HISTORY_PAGE)
        topics = [t.id for t in module.topics]
        lines = [_history_line(c, topics) for c in changes]
        where = f" · page {page + 1}/{pages}" if pages > 1 else ""
        return Reply(
            title="Settings history",
            body=join("\n", lines) or "No setting has been changed yet.",
            footer=footer(module, f"{plural(total, 'change')}{where}" if total else ""),
            color=module.info.color,
            ephemeral=True,
            buttons=_pager(module.id, page, pages),
        )


def _history_line(change: SettingChange, topics: list[str]) -> Text:
    """When (a full date and time, in each reader's own time zone), who, which setting by name, from and to; a
    moderator's action on a question or a report reads the same way ("Question ov-01: shown → hidden")."""
    before = quote(core.show_stored(change.key, change.old_value, topics), VALUE_CHARS)
    after = quote(core.show_stored(change.key, change.new_value, topics), VALUE_CHARS)
    return text(
        Timestamp(change.changed_ms, "datetime"),
        " · ",
        Mention(change.user_id),
        f" · **{history_label(change.key) or core.label_of(change.key)}**: {before} → **{after}**",
    )


def _pager(module_id: str, page: int, pages: int) -> list[Button]:
    """Newer and older buttons; none when everything fits one page."""
    if pages <= 1:
        return []
    return [
        Button(
            label="◀ Newer",
            action=SettingsHistoryPage(module_id, max(page - 1, 0)).encode(),
            disabled=page == 0,
        ),
        Button(
            label="Older ▶",
            action=SettingsHistoryPage(module_id, min(page + 1, pages - 1)).encode(),
            style="primary",
            disabled=page == pages - 1,
        ),
    ]


def _guild(caller: Caller) -> int:
    if caller.guild_id is None:
        raise InvalidInput("Settings belong to a server; use this command in one.")
    return caller.guild_id
