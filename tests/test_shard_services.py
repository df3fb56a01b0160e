"""A process holding a slice of the shards drives its own servers (both engines): it resumes their quizzes and
reconciles which of them the bot left, and leaves the servers of other shards to the processes that hold them; the
question-of-the-day schedule is one shared job, posted once whichever process runs it."""

from __future__ import annotations

from pathlib import Path

from bot.services.bundle import Services
from bot.services.catalog import Caller
from bot.settings import Settings
from tests import servicekit
from tests.helpers import make_settings
from tests.quizkit import FakeClock, RecordingPublisher

COUNT = 2
SHARD_0, SHARD_1 = 2 << 22, 3 << 22
"""Two servers: (id >> 22) % 2 puts the first on shard 0 and the second on shard 1."""
CHANNEL = {SHARD_0: 501, SHARD_1: 502}
DAY = 86_400_000


def settings(tmp_path: Path, database_url: str | None, shard: int | None = None) -> Settings:
    """Every shard by default (one process), or shard ``shard`` of two."""
    if shard is None:
        return make_settings(tmp_path, database_url=database_url, quiz_seconds=20)
    return make_settings(tmp_path, database_url=database_url, quiz_seconds=20, shard_count=COUNT, shard_ids=str(shard))


def admin(guild: int) -> Caller:
    return Caller(user_id=1, display_name="admin", guild_id=guild, channel_id=CHANNEL[guild], can_manage_guild=True)


async def start_quiz(services: Services, guild: int) -> None:
    reply = await services.router.run(admin(guild), "ketamine", "quiz start", {})
    assert not reply.is_error, reply.body


async def quiz_of(services: Services, guild: int) -> int:
    running = await services.quiz.uow().quizzes.running()
    return next(s.id for s in running if s.guild_id == guild)


async def test_each_process_resumes_the_quizzes_of_its_own_servers(tmp_path: Path, database_url: str | None) -> None:
    clock = FakeClock()
    one = await servicekit.open_services(settings(tmp_path, database_url), clock, RecordingPublisher())
    for guild in (SHARD_0, SHARD_1):
        await start_quiz(one, guild)
    quizzes = {guild: await quiz_of(one, guild) for guild in (SHARD_0, SHARD_1)}
    await servicekit.close_services(one)  # the single process stops; the quizzes stay running in the database

    for shard, guild in enumerate((SHARD_0, SHARD_1)):
        part = await servicekit.open_services(settings(tmp_path, database_url, shard), clock, RecordingPublisher())
        try:
            assert await part.quiz.runner.resume_all() == 1
            other = quizzes[SHARD_1 if guild == SHARD_0 else SHARD_0]
            assert f"quiz-{quizzes[guild]}" in part.quiz.scheduler and f"quiz-{other}" not in part.quiz.scheduler
        finally:
            await servicekit.close_services(part)


async def test_questions_of_the_day_are_posted_once_whichever_process_holds_the_schedule(
    tmp_path: Path, database_url: str | None
) -> None:
    """The question-of-the-day schedule is one job for every channel, run by one process at a time (see
    ``bot.services.jobs``): the process that runs it posts for the servers of every shard, and a later run by
    another process finds them posted."""
    clock = FakeClock()
    recorder = RecordingPublisher()
    recorder.channel_guilds = {channel: guild for guild, channel in CHANNEL.items()}
    one = await servicekit.open_services(settings(tmp_path, database_url), clock, recorder)
    for guild in (SHARD_0, SHARD_1):
        for key, value in (("timezone", "UTC"), ("daily_time", "00:00"), ("daily_window_hours", "23")):
            reply = await one.router.run(
                admin(guild), "ketamine-admin", "settings set", {"setting": key, "value": value}
            )
            assert not reply.is_error, reply.body
        added = await one.router.run(
            admin(guild), "ketamine-admin", "studygroup add", {"channel": CHANNEL[guild], "daily": "on"}
        )
        assert not added.is_error, added.body
    await servicekit.close_services(one)

    publisher = RecordingPublisher()
    part = await servicekit.open_services(settings(tmp_path, database_url, shard=1), clock, publisher)
    try:
        await part.daily.tick()
        await publisher.wait_until(lambda: len(publisher.posts) >= 2)
        assert {channel for channel, _, _ in publisher.posts} == {CHANNEL[SHARD_0], CHANNEL[SHARD_1]}
    finally:
        await servicekit.close_services(part)
    other = await servicekit.open_services(settings(tmp_path, database_url, shard=0), clock, RecordingPublisher())
    try:
        assert await other.daily.tick() == 0, "each channel's question of the day was posted once"
    finally:
        await servicekit.close_services(other)


async def test_a_process_marks_only_its_own_servers_as_left(tmp_path: Path, database_url: str | None) -> None:
    clock = FakeClock()
    one = await servicekit.open_services(settings(tmp_path, database_url), clock, RecordingPublisher())
    for guild in (SHARD_0, SHARD_1):
        await start_quiz(one, guild)  # both servers have data
    await servicekit.close_services(one)

    # At start-up Discord announces only the servers of the process's shards: with shard 1, SHARD_1 alone.
    for shard, departed in ((1, []), (None, [SHARD_0])):  # with every shard, SHARD_0 missing means it was left
        services = await servicekit.open_services(settings(tmp_path, database_url, shard), clock, RecordingPublisher())
        try:
            await services.privacy.reconcile([SHARD_1])
            await clock.advance(31 * DAY)
            assert await services.privacy.purge() == departed
        finally:
            await servicekit.close_services(services)
