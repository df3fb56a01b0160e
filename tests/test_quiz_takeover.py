"""Two bot processes on one database (both engines), each a production service graph on its own database handle,
sharing one Discord (a recording publisher that honours nonces) and one hand-moved clock. The bot runs as two
shards: process A holds shard 0 with server 10 (its quizzes are its own), process B shard 1 with OTHER_GUILD.

A dies mid-question (SIGKILL: its database handle dies with it, its leases are never let go): B reveals the question
at its deadline, exactly once, with every acknowledged answer, and parks the quiz; nothing more happens until A is
back, and then A goes on from where the quiz is. A shut down cleanly lets its jobs go, and B waits the grace past the
deadline for it. A question of the day due while A is down is posted once, by B. Results posted by two processes
at once appear once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast

import pytest

from bot.core.quiz.state import QuizState
from bot.core.reply import Reply
from bot.core.shards import shard_of
from bot.services.bundle import Services
from bot.services.catalog import Caller
from bot.services.quiz.claims import QuizJobs
from bot.settings import Settings
from bot.storage.engine import Database
from bot.storage.repositories.jobs import JobRepository
from tests.helpers import make_settings
from tests.jobkit import eventually
from tests.quizkit import FakeClock, RecordingPublisher
from tests.servicekit import DatabaseDouble, open_services

GUILD, CHANNEL, OTHER_GUILD = 10, 21, (1 << 22) + 99
SHARDS = 2
"""Server 10 is on shard 0 of 2, OTHER_GUILD on shard 1 (Discord's formula: ``(id >> 22) % count``)."""
T = 1_700_000_000_000
SECONDS, REVEAL, LEASE = 20, 2, 10


def member(user: int, *, manage: bool = False) -> Caller:
    return Caller(
        user_id=user, display_name=f"member {user}", guild_id=GUILD, channel_id=CHANNEL, can_manage_guild=manage
    )


def settings(tmp_path: Path, database_url: str | None, owned: int) -> Settings:
    """A process holding the one shard server ``owned`` is on."""
    return make_settings(
        tmp_path,
        database_url=database_url,
        shard_count=SHARDS,
        shard_ids=str(shard_of(owned, SHARDS)),
        quiz_questions=2,
        quiz_seconds=SECONDS,
        quiz_reveal_seconds=REVEAL,
        job_lease_seconds=LEASE,
        job_poll_seconds=5,
    )


class Processes:
    """Start, kill and stop simulated processes; whatever is left is put away at the end."""

    def __init__(self, tmp_path: Path, database_url: str | None, clock: FakeClock, discord: RecordingPublisher):
        self.tmp_path, self.database_url, self.clock, self.discord = tmp_path, database_url, clock, discord
        self.running: list[Services] = []
        self.dead: list[Services] = []

    async def start(self, owned: int) -> Services:
        services = await open_services(
            settings(self.tmp_path, self.database_url, owned), self.clock, self.discord, database=DatabaseDouble
        )
        await services.start()
        self.running.append(services)
        return services

    async def kill(self, services: Services) -> None:
        """SIGKILL: nothing it does from now on reaches the database or Discord."""
        db = services.app.db
        assert isinstance(db, DatabaseDouble)
        db.die()
        await services.quiz.scheduler.cancel_all()
        self.running.remove(services)
        self.dead.append(services)

    async def stop(self, services: Services) -> None:
        """SIGTERM: a clean shutdown."""
        self.running.remove(services)
        await services.stop()
        await services.app.close()

    async def close(self) -> None:
        for services in list(self.running):
            await self.stop(services)
        for services in self.dead:
            with contextlib.suppress(Exception):
                await services.leader.lock.close()
            with contextlib.suppress(Exception):
                await services.jobs.signal.close()
            db = services.app.db
            assert isinstance(db, DatabaseDouble)
            await db.db.close()


@pytest.fixture
async def world(
    tmp_path: Path, database_url: str | None
) -> AsyncIterator[tuple[Processes, FakeClock, RecordingPublisher]]:
    clock, discord = FakeClock(T), RecordingPublisher()
    processes = Processes(tmp_path, database_url, clock, discord)
    try:
        yield processes, clock, discord
    finally:
        await processes.close()


async def run_for(clock: FakeClock, ms: int, step: int = 3_000) -> None:
    """Let time pass in steps shorter than a third of a lease, as it does for a live process renewing its leases."""
    while ms > 0:
        await clock.advance(min(step, ms))
        ms -= step


def titled(discord: RecordingPublisher, start: str) -> list[tuple[int, Reply]]:
    return [(message_id, reply) for _, message_id, reply in discord.posts if reply.title.startswith(start)]


def reveals(discord: RecordingPublisher, message_id: int) -> list[Reply]:
    return [reply for _, mid, reply in discord.edits if mid == message_id and "the answer is" in reply.title]


async def start_quiz(process: Services, discord: RecordingPublisher) -> tuple[int, int, Reply]:
    reply = await process.router.run(member(1), "ketamine", "quiz start", {})
    assert reply.title == "Quiz starting", reply.body
    await eventually(lambda: bool(titled(discord, "Question 1/2")), "the first question")
    ((message_id, question),) = titled(discord, "Question 1/2")
    (session,) = await process.quiz.uow().quizzes.running()
    return session.id, message_id, question


async def answer(process: Services, question: Reply, users: tuple[int, ...]) -> None:
    for user in users:
        ack = await process.router.press(member(user), question.buttons[user % 2].action)
        assert ack.title.startswith("Locked in"), ack.title


async def job_of(db: Database, session_id: int) -> tuple[int | None, str | None] | None:
    job = await JobRepository(db).get("quiz", session_id)
    return None if job is None else (job.due_ms, job.claimed_by)


async def state_of(process: Services, session_id: int) -> QuizState:
    session = await process.quiz.uow().quizzes.get(session_id)
    assert session is not None
    return session.state


async def test_a_killed_process_s_reveal_is_made_once_by_another_and_its_quiz_goes_on_when_it_is_back(
    world: tuple[Processes, FakeClock, RecordingPublisher],
) -> None:
    processes, clock, discord = world
    other = await processes.start(OTHER_GUILD)
    owner = await processes.start(GUILD)
    session_id, message_id, question = await start_quiz(owner, discord)
    await answer(owner, question, (2, 3, 4))  # acknowledged: stored
    await processes.kill(owner)

    await run_for(clock, SECONDS * 1000 - 1_000)
    assert reveals(discord, message_id) == [], "not before its deadline"
    await run_for(clock, 1_000)
    await eventually(lambda: bool(reveals(discord, message_id)), "the other process revealing it")
    (reveal,) = reveals(discord, message_id)
    assert reveal.footer is not None and "3 answered" in reveal.footer, "every acknowledged answer counts"
    assert await state_of(other, session_id) is QuizState.REVEALING
    await eventually(lambda: f"job:quiz:{session_id}" not in other.quiz.scheduler, "the takeover's end")
    assert await job_of(other.app.db, session_id) == (None, None), "parked for its own process"

    await run_for(clock, 12_000)
    assert titled(discord, "Question 2/2") == [], "the next question is its own process's to ask"
    assert len(reveals(discord, message_id)) == 1

    back = await processes.start(GUILD)  # restarted: it takes its quiz back at once
    await eventually(lambda: bool(titled(discord, "Question 2/2")), "the quiz going on")
    ((_, second),) = titled(discord, "Question 2/2")
    await answer(back, second, (2, 3))
    await run_for(clock, SECONDS * 1000 + REVEAL * 1000 + 2_000)
    await eventually(lambda: bool(titled(discord, "Quiz over")), "the results")
    await eventually(lambda: f"quiz-{session_id}" not in back.quiz.scheduler, "its runner's end")
    assert len(titled(discord, "Quiz over")) == 1
    assert len(titled(discord, "Question 1/2")) == len(titled(discord, "Question 2/2")) == 1
    assert {r.body for r in reveals(discord, message_id)} == {reveal.body}, "shown again after the restart, the same"
    assert await job_of(back.app.db, session_id) is None, "done: its job is gone"


async def test_a_cleanly_stopped_process_s_reveal_waits_the_grace_then_another_makes_it(
    world: tuple[Processes, FakeClock, RecordingPublisher],
) -> None:
    processes, clock, discord = world
    other = await processes.start(OTHER_GUILD)
    owner = await processes.start(GUILD)
    session_id, message_id, question = await start_quiz(owner, discord)
    await answer(owner, question, (2,))
    await processes.stop(owner)  # SIGTERM: its jobs are let go at once
    assert await job_of(other.app.db, session_id) == (T + SECONDS * 1000, None)

    await run_for(clock, SECONDS * 1000 + LEASE * 1000 - 1_000)
    assert reveals(discord, message_id) == [], "its own process may be back any moment"
    await run_for(clock, 1_000)
    await eventually(lambda: bool(reveals(discord, message_id)), "the other process revealing it")
    assert await state_of(other, session_id) is QuizState.REVEALING


async def test_a_question_of_the_day_due_while_its_process_is_down_is_posted_once(
    world: tuple[Processes, FakeClock, RecordingPublisher],
) -> None:
    processes, clock, discord = world
    owner = await processes.start(GUILD)
    for key, value in (("timezone", "UTC"), ("daily_time", "00:01"), ("daily_window_hours", "2")):
        options = {"setting": key, "value": value}
        reply = await owner.router.run(member(1, manage=True), "ketamine-admin", "settings set", options)
        assert not reply.is_error, reply.body
    reply = await owner.router.run(
        member(1, manage=True), "ketamine-admin", "studygroup add", {"channel": CHANNEL, "daily": "on"}
    )
    assert not reply.is_error, reply.body
    await processes.kill(owner)
    other = await processes.start(OTHER_GUILD)

    # T is 22:13:20 UTC: the slot is 00:01 the next day, 6460 s on.
    await run_for(clock, 6_300_000, step=2_100_000)
    assert titled(discord, "Question of the day") == []
    await run_for(clock, 240_000, step=60_000)
    await eventually(lambda: bool(titled(discord, "Question of the day")), "the question of the day")
    assert len(titled(discord, "Question of the day")) == 1
    (session,) = await other.quiz.uow().quizzes.running()
    assert session.daily and f"quiz-{session.id}" not in other.quiz.scheduler, "its server's process drives it"

    back = await processes.start(GUILD)
    await eventually(lambda: f"quiz-{session.id}" in back.quiz.scheduler, "its own process driving it")
    await run_for(clock, 120_000, step=60_000)
    assert len(titled(discord, "Question of the day")) == 1, "never a second post"


async def test_results_posted_by_two_processes_at_once_appear_once(
    world: tuple[Processes, FakeClock, RecordingPublisher],
) -> None:
    processes, _, discord = world
    first = await processes.start(GUILD)
    second = await processes.start(OTHER_GUILD)
    session_id, _, question = await start_quiz(first, discord)
    await answer(first, question, (2,))
    discord.failing_posts.append(ConnectionError("Discord is down"))
    with contextlib.suppress(ConnectionError):
        await first.router.run(member(1), "ketamine", "quiz stop", {})
    assert titled(discord, "Quiz stopped") == [], "its results could not be posted"
    first_jobs, second_jobs = (cast(QuizJobs, p.quiz.runner.claims) for p in (first, second))
    await asyncio.gather(first_jobs.take_over(session_id), second_jobs.take_over(session_id))
    assert len(titled(discord, "Quiz stopped")) == 1, "the same nonce: one message"
