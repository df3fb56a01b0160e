"""Study-group channels: add, remove, list (Manage Server for changes, checked here on every call)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from bot.core.content.library import ContentModule
from bot.core.errors import InvalidInput, NotFound
from bot.core.render import footer
from bot.core.reply import Reply
from bot.core.text import ChannelRef, Text, join, text
from bot.services.catalog import Caller, CommandSpec, OptionSpec, OptionValue, admin_group
from bot.services.clock import Clock
from bot.services.publisher import Publisher
from bot.storage.database import Database
from bot.storage.repositories.study import StudyChannel, StudyRepository

MAX_STUDY_CHANNELS = 25


class StudyService:
    def __init__(self, db: Database, clock: Clock, publisher: Publisher) -> None:
        self.repo = StudyRepository(db)
        self.clock = clock
        self.publisher = publisher
        self.changed: list[Callable[[], Awaitable[object]]] = []
        """Called after a study group was saved or removed (the question-of-the-day schedule looks again)."""

    def command_specs(self, module: ContentModule) -> list[CommandSpec]:
        channel = OptionSpec("channel", "A text channel of this server", kind="channel", required=True)
        return [
            CommandSpec(
                admin_group(module.id),
                "studygroup add",
                "Make a channel a study group, or change its topic and daily question",
                (
                    channel,
                    OptionSpec(
                        "topic",
                        "Its default topic for quizzes and daily questions",
                        choices=tuple(t.id for t in module.topics)[:25],
                    ),
                    OptionSpec("daily", "Post a question of the day there", choices=("on", "off")),
                ),
                guild_only=True,
                handler=self.add_command,
            ),
            CommandSpec(
                admin_group(module.id),
                "studygroup remove",
                "Stop using a channel as a study group",
                (channel,),
                guild_only=True,
                handler=self.remove_command,
            ),
            CommandSpec(
                module.id,
                "studygroup list",
                "This server's study-group channels",
                guild_only=True,
                handler=self.list_command,
            ),
        ]

    async def list_command(self, caller: Caller, module: ContentModule, options: Mapping[str, OptionValue]) -> Reply:
        return await self.list(_guild(caller), module)

    async def add_command(self, caller: Caller, module: ContentModule, options: Mapping[str, OptionValue]) -> Reply:
        _manager(caller)
        return await self.add(caller, module, int(options["channel"]), options.get("topic"), options.get("daily"))

    async def remove_command(self, caller: Caller, module: ContentModule, options: Mapping[str, OptionValue]) -> Reply:
        guild_id = _manager(caller)
        channel_id = int(options["channel"])
        if not await self.repo.remove(guild_id, channel_id):
            raise NotFound(text(ChannelRef(channel_id), " is not a study-group channel here."))
        for changed in self.changed:
            await changed()
        return Reply(
            title="Study group removed",
            body=text(ChannelRef(channel_id), " is no longer a study group."),
            ephemeral=True,
        )

    async def add(self, caller: Caller, module: ContentModule, channel_id: int, topic: object, daily: object) -> Reply:
        assert caller.guild_id is not None
        if await self.publisher.channel_guild(channel_id) != caller.guild_id:
            raise InvalidInput("That channel is not a channel of this server.")
        existing = await self.repo.get(channel_id)
        current = await self.repo.of_guild(caller.guild_id)
        if existing is None and len(current) >= MAX_STUDY_CHANNELS:
            raise InvalidInput(f"A server can have at most {MAX_STUDY_CHANNELS} study-group channels.")
        entry = StudyChannel(
            channel_id=channel_id,
            guild_id=caller.guild_id,
            topic=str(topic) if topic is not None else (existing.topic if existing else None),
            daily=(daily == "on") if daily is not None else (existing.daily if existing else False),
            added_by=caller.user_id,
            added_ms=self.clock.now_ms(),
        )
        if not await self.repo.put(entry):
            raise InvalidInput("That channel is not a channel of this server.")
        for changed in self.changed:
            await changed()
        return Reply(
            title="Study group saved",
            body=text(_line(entry, module), "\nQuizzes in this server now run only in study-group channels."),
            footer=footer(module),
            ephemeral=True,
        )

    async def list(self, guild_id: int, module: ContentModule) -> Reply:
        channels = await self.repo.of_guild(guild_id)
        body = join("\n", (_line(c, module) for c in channels)) or (
            f"No study-group channels: quizzes can run in any channel. Add one with /{admin_group(module.id)} studygroup add."
        )
        return Reply(title="Study groups", body=body, footer=footer(module), color=module.info.color)


def _line(channel: StudyChannel, module: ContentModule) -> Text:
    topic = module.topic(channel.topic) if channel.topic else None
    return text(
        "- ",
        ChannelRef(channel.channel_id),
        f" · topic: {topic.title if topic else 'any'} · question of the day: {'on' if channel.daily else 'off'}",
    )


def _guild(caller: Caller) -> int:
    if caller.guild_id is None:
        raise InvalidInput("Study groups belong to a server; use this command in one.")
    return caller.guild_id


def _manager(caller: Caller) -> int:
    guild_id = _guild(caller)
    if not caller.can_manage_guild:
        raise InvalidInput("Only members with the Manage Server permission can change study groups.")
    return guild_id
