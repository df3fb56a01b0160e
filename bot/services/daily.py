"""Question of the day: at each server's local time, every study channel with daily on gets one question.

The schedule is data, not timers: each tick works out, for every daily channel, whether today's slot
(local date and time in the server's time zone) has come and its window is still open, and posts unless the
database already holds that channel's post for that day. So a restart never posts twice, and a post missed
while the bot was down is made once at start-up if its window is still open.

The tick is job ``('daily', 0)`` of the shared jobs table (``bot/services/jobs.py``): one process at a time runs
it, whichever process that is (a post goes through Discord's REST API, which serves any channel), due again at the
next slot or within ``TICK_MS``. If the process running it dies, another runs it once the lease has run out; a day
posted by one process is never posted by another (the post and the day's record are one transaction).
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.content.library import ContentModule
from bot.services.app import App
from bot.services.clock import Clock
from bot.services.jobs import JobWorker, Outcome, later
from bot.services.quiz import QuizService
from bot.services.server_settings import SettingsService
from bot.storage.repositories.jobs import JobRow
from bot.storage.repositories.study import StudyChannel, StudyRepository

log = logging.getLogger(__name__)

KIND = "daily"
SCHEDULE = 0
"""The schedule's job key: one job for every channel."""
TICK_MS = 30_000
"""How often the schedule is looked at even when no slot is near (settings may change the slots)."""


def todays_slot(now_ms: int, zone: str, at: str) -> tuple[str, int]:
    """The local date and the UTC time (ms) of today's slot ``at`` (HH:MM) in time zone ``zone``."""
    tz = ZoneInfo(zone)
    local_now = datetime.fromtimestamp(now_ms / 1000, tz)
    hours, minutes = (int(part) for part in at.split(":"))
    slot = datetime.combine(local_now.date(), time(hours, minutes), tz)
    return local_now.date().isoformat(), int(slot.timestamp() * 1000)


class DailyService:
    def __init__(
        self,
        app: App,
        clock: Clock,
        quiz: QuizService,
        server_settings: SettingsService,
        study: StudyRepository,
        jobs: JobWorker,
    ) -> None:
        self.app = app
        self.clock = clock
        self.quiz = quiz
        self.server_settings = server_settings
        self.study = study
        self.jobs = jobs
        self.next_tick_ms = 0
        """When the schedule wants looking at next: the nearest slot to come, or a tick from the last look."""

    async def tick(self) -> int:
        """Post every question of the day that is due now; return how many were posted."""
        posted = 0
        now = self.clock.now_ms()
        nearest = now + TICK_MS
        for channel in await self.study.daily_channels():  # every server's: one process at a time holds this job
            module = self._module_for(channel)
            if module is None:
                continue
            settings = await self.server_settings.effective(channel.guild_id, module)
            window = int(timedelta(hours=settings.daily_window_hours).total_seconds() * 1000)
            day, slot = todays_slot(now, settings.timezone, settings.daily_time)
            if slot > now:
                nearest = min(nearest, slot)
            if not slot <= now < slot + window:
                continue
            if await self.quiz.uow().quizzes.daily_posted(channel.channel_id, day):
                continue
            session = await self.quiz.start_daily(channel, module, day, slot + window, secrets.randbits(48))
            if session is not None:
                posted += 1
                log.info("question of the day for %s posted in channel %d", day, channel.channel_id)
        self.next_tick_ms = nearest
        return posted

    def _module_for(self, channel: StudyChannel) -> ContentModule | None:
        """The module whose topics include the channel's topic, or the first one with questions."""
        modules = [m for m in self.app.library.modules.values() if m.questions]
        if channel.topic:
            chosen = next((m for m in modules if m.topic(channel.topic) is not None), None)
            if chosen is not None:
                return chosen
        return modules[0] if modules else None

    async def start(self) -> None:
        """Look at the schedule now, before the bot takes input (what start-up owes is posted first), unless another
        process is looking at it this moment; after that, the jobs loop runs it when it is due."""
        self.jobs.handle(KIND, self._due)
        await self.jobs.run_now(KIND, SCHEDULE, None, self.clock.now_ms())

    async def look_soon(self) -> None:
        """The schedule's inputs changed (a study group, a server's time or zone): look at it now, not at the next
        tick, in whichever process is free to."""
        await self.jobs.due(KIND, SCHEDULE, None, self.clock.now_ms())
        await self.jobs.notify()

    async def _due(self, job: JobRow) -> Outcome:
        await self.tick()
        return later(self.next_tick_ms)
