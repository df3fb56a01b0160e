"""Privacy: a member exports or deletes their own data; a server's data goes some time after the bot leaves it."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping

from bot.core.actions import ForgetMe
from bot.core.content.library import ContentModule
from bot.core.errors import InvalidInput
from bot.core.render import footer
from bot.core.reply import Attachment, Button, Reply
from bot.core.words import plural
from bot.services.catalog import Caller, CommandSpec, OptionValue
from bot.services.clock import Clock
from bot.services.scheduler import Scheduler
from bot.storage.database import Database
from bot.storage.repositories.privacy import PrivacyRepository

log = logging.getLogger(__name__)

PURGE_EVERY_MS = 3_600_000
DAY_MS = 86_400_000
JOB = "privacy-purge"
EXPORT_NOUNS = {
    "quiz_answers": ("quiz answer", ""),
    "display_names": ("display name", ""),
    "quizzes_started": ("quiz", " started"),
    "settings_changes": ("settings change", ""),
    "review_cards": ("review card", ""),
    "review_logs": ("review", ""),
    "review_session_cards": ("card", " in review sessions"),
    "question_reports": ("report", " on quiz questions"),
    "name_shared_in": ("server", " naming you in the tutor export"),
}
"""How the export's summary counts each part: (the counted noun, what follows it), "1 quiz started". A part with
nothing in it is left out of the summary (the file still has it, empty)."""


class PrivacyService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        retention_days: int,
        scheduler: Scheduler | None = None,
        owns: Callable[[int], bool] = lambda guild_id: True,
    ) -> None:
        """``owns``: whether this process answers for a server (its shards hold it). Only those servers can be
        known present or gone here; servers on other processes' shards are theirs to reconcile."""
        self.repo = PrivacyRepository(db)
        self.owns = owns
        self.clock = clock
        self.retention_days = retention_days
        self.scheduler = scheduler or Scheduler(clock)

    def command_specs(self, module: ContentModule) -> list[CommandSpec]:
        return [
            CommandSpec(
                module.id,
                "privacy export",
                "Get everything this bot stores about you, as a JSON file",
                handler=self.export,
            ),
            CommandSpec(
                module.id,
                "privacy forget",
                "Delete your answers, scores, stats and review cards in every server",
                handler=self.ask_to_forget,
            ),
        ]

    async def export(self, caller: Caller, module: ContentModule, options: Mapping[str, OptionValue]) -> Reply:
        data = await self.repo.export(caller.user_id)
        counts = ", ".join(_count(key, len(rows)) for key, rows in data.items() if rows) or "nothing"
        document = {"user_id": caller.user_id, "exported_ms": self.clock.now_ms(), **data}
        return Reply(
            title="Your data",
            body=f"Everything stored about you: {counts}. The file is attached; only you can see this.",
            footer=footer(module),
            ephemeral=True,
            attachment=Attachment(
                filename=f"ketamine-study-bot-{caller.user_id}.json", text=json.dumps(document, indent=2)
            ),
        )

    async def ask_to_forget(self, caller: Caller, module: ContentModule, options: Mapping[str, OptionValue]) -> Reply:
        return Reply(
            title="Delete your data?",
            body=(
                "This deletes your quiz answers, scores and stats in **every** server, your review cards and "
                "their history, the name the bot remembered for you, your reports on quiz questions and your "
                "choice to be named in tutor exports, and removes you as the starter of the quizzes you started "
                "(the quizzes stay in their server's history without you). It cannot be undone. Settings changes "
                "you made as an admin, and what moderators did about reports, stay in each server's settings "
                "history, which records who changed what."
            ),
            footer=footer(module),
            ephemeral=True,
            buttons=[
                Button(label="Delete my data", action=ForgetMe(caller.user_id, True).encode(), style="danger"),
                Button(label="Cancel", action=ForgetMe(caller.user_id, False).encode()),
            ],
        )

    async def press(self, caller: Caller, action: ForgetMe) -> Reply:
        if caller.user_id != action.user_id:
            raise InvalidInput("Those buttons belong to someone else's request.")
        if not action.confirmed:
            return Reply(title="Nothing was deleted", body="Your data is as it was.", ephemeral=True)
        removed = await self.repo.forget(caller.user_id)
        log.info("deleted the data of a member on request (%s)", plural(removed, "answer"))
        return Reply(
            title="Your data is deleted",
            body=(
                f"{plural(removed, 'answer')}, your review cards and your remembered names, reports and choices to "
                "be named in tutor exports are gone from every server, and you are no longer named as the starter "
                "of any quiz."
            ),
            ephemeral=True,
        )

    # Servers the bot left ------------------------------------------------------------------------

    async def server_left(self, guild_id: int) -> None:
        await self.repo.server_left(guild_id, self.clock.now_ms())

    async def server_back(self, guild_id: int) -> None:
        await self.repo.server_back(guild_id)

    async def reconcile(self, current_guilds: Iterable[int]) -> None:
        """At start-up: servers with data that the bot is no longer in were left while it was down (of this
        process's servers: another process's are not in ``current_guilds``, and not gone)."""
        current = set(current_guilds)
        for guild_id in await self.repo.servers_with_data() - current:
            if self.owns(guild_id):
                await self.repo.server_left(guild_id, self.clock.now_ms())
        for guild_id in current:
            await self.repo.server_back(guild_id)

    async def purge(self) -> list[int]:
        purged = await self.repo.purge_departed(self.clock.now_ms() - self.retention_days * DAY_MS)
        for guild_id in purged:
            log.info(
                "deleted the data of server %d, left more than %s ago", guild_id, plural(self.retention_days, "day")
            )
        return purged

    async def start(self) -> None:
        await self.scheduler.every(JOB, PURGE_EVERY_MS, self.purge)

    async def stop(self) -> None:
        self.scheduler.cancel(JOB)
        await self.scheduler.wait(JOB)


def _count(key: str, rows: int) -> str:
    """One part of the export summary; a part added to the export without a noun here reads as its key."""
    word, tail = EXPORT_NOUNS.get(key, (key.replace("_", " "), ""))
    return plural(rows, word) + tail
