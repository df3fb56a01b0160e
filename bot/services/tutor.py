"""The tutor export (Manage Server) and a member's choice to be named in it.

The export is a CSV file sent only to the moderator who asked: each topic and each question of the module with its
answers, accuracy and reports in this server. Members are counted, never named, unless they chose to be with
``/<module> privacy share-name state:on`` in this server; those get rows of their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from itertools import groupby

from bot.core.content.library import ContentModule
from bot.core.errors import InvalidInput
from bot.core.render import footer
from bot.core.reply import Attachment, Reply
from bot.core.text import Timestamp, text
from bot.core.tutor_export import ALL_TOPICS, NamedTally, ReportTally, Tally, build_csv
from bot.core.words import plural
from bot.services.catalog import Caller, CommandSpec, OptionSpec, OptionValue, admin_group
from bot.services.clock import Clock
from bot.storage.database import Database
from bot.storage.repositories.moderation import ModerationRepository
from bot.storage.repositories.tutor import Counts, TutorRepository


def _tally(counts: Counts) -> Tally:
    return Tally(*counts)


class TutorService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.repo = TutorRepository(db)
        self.moderation = ModerationRepository(db)
        self.clock = clock

    def command_specs(self, module: ContentModule) -> list[CommandSpec]:
        """Only for a module with quiz questions: without them there is nothing to export or to be named in."""
        if not module.questions:
            return []
        return [
            CommandSpec(
                module.id,
                "privacy share-name",
                "Let your name appear in this server's tutor export (on), or be counted only (off)",
                (
                    OptionSpec(
                        "state",
                        "on: name me; off: count me only. Leave it out to see your choice",
                        choices=("on", "off"),
                    ),
                ),
                guild_only=True,
                handler=self.share_name,
            ),
            CommandSpec(
                admin_group(module.id),
                "export",
                "Quiz results per topic and question as a CSV file (members counted, not named)",
                guild_only=True,
                handler=self.export,
            ),
        ]

    async def share_name(self, caller: Caller, module: ContentModule, options: Mapping[str, OptionValue]) -> Reply:
        guild_id = _guild(caller)
        wanted = options.get("state")
        if wanted is not None:
            await self.repo.share_name(guild_id, caller.user_id, wanted == "on", self.clock.now_ms())
        since = await self.repo.sharing_since(guild_id, caller.user_id)
        if since is None:
            body = text(
                "**Off**: this server's tutor export counts your answers with everyone else's and does not name you. "
                f"Turn it on with /{module.id} privacy share-name state:on."
            )
        else:
            body = text(
                "**On** since ",
                Timestamp(since, "date"),
                ": this server's tutor export names you (by the name you had when you last answered here), with "
                f"your answers per topic. Turn it off with /{module.id} privacy share-name state:off.",
            )
        title = "Your name in the tutor export" if wanted is None else f"Name in the tutor export: {wanted}"
        return Reply(title=title, body=body, footer=footer(module), ephemeral=True)

    async def export(self, caller: Caller, module: ContentModule, options: Mapping[str, OptionValue]) -> Reply:
        guild_id = _guild(caller)
        if not caller.can_manage_guild:
            raise InvalidInput("Only members with the Manage Server permission can export this server's results.")
        by_question = {key: _tally(c) for key, c in (await self.repo.by_question(guild_id, module.id)).items()}
        by_topic = {key: _tally(c) for key, c in (await self.repo.by_topic(guild_id, module.id)).items()}
        reports = {
            key: ReportTally(c.open, c.resolved, c.dismissed, c.last_note)
            for key, c in (await self.moderation.counts(guild_id, module.id)).items()
        }
        hidden = await self.moderation.hidden(guild_id, module.id)
        named = _named(await self.repo.named(guild_id, module.id))
        document = build_csv(module, by_topic, by_question, reports, hidden, named)
        day = datetime.fromtimestamp(self.clock.now_ms() / 1000, UTC).date().isoformat()
        answers = sum(t.answers for t in by_topic.values())
        people = sum(1 for row in named if row.topic == ALL_TOPICS)
        return Reply(
            title="Tutor export",
            body=(
                f"{plural(answers, 'answer')} in this server, per topic and per question, with accuracy and reports. "
                f"Members are counted, not named; {plural(people, 'member')} chose to be named "
                f"(/{module.id} privacy share-name) and {'has' if people == 1 else 'have'} rows of their own. "
                "The file is attached; only you can see this."
            ),
            footer=footer(module),
            ephemeral=True,
            attachment=Attachment(filename=f"{module.id}-tutor-export-{guild_id}-{day}.csv", text=document),
        )


def _named(rows: list[tuple[int, str, str, Counts]]) -> list[NamedTally]:
    """Each named member's rows per topic, then their total over all topics (rows come grouped by member)."""
    out: list[NamedTally] = []
    for _, group in groupby(rows, key=lambda row: row[0]):
        member = list(group)
        name = member[0][1]
        out += [NamedTally(name, topic, Tally(a, c, 1)) for _, _, topic, (a, c, _) in member]
        out.append(NamedTally(name, ALL_TOPICS, Tally(sum(r[3][0] for r in member), sum(r[3][1] for r in member), 1)))
    return out


def _guild(caller: Caller) -> int:
    if caller.guild_id is None:
        raise InvalidInput("This belongs to a server; use it in one.")
    return caller.guild_id
