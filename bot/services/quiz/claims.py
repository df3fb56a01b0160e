"""Where a quiz's moves run when several processes share the database: each running quiz is job ``('quiz', id)``.

The process holding the quiz's server drives it as before (``QuizRunner``: a task per quiz, woken by answers),
holding the quiz's job for as long as the task runs and recording with every move (in the move's own
transaction) when the next one is due. If
that process dies, its lease runs out and another process takes the job over (``take_over``): it does what is
due and may be done from anywhere through Discord's REST API (the reveal at the deadline, the results, the question
of the day), then lets the job go, due at the next move. The next question of a quiz is left for the quiz's own
process (the job is parked): its buttons' clicks arrive there, and when it starts again it takes its quizzes back
at once (``adopt``) and goes on from where they are.

``QuizClaims`` is what the runner needs of this; ``NoClaims`` (nothing shared) is the runner's default.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Protocol

from bot.core.quiz.aggregate import Quiz
from bot.core.quiz.errors import StaleQuiz
from bot.core.quiz.model import QuizSession
from bot.core.quiz.state import QuizState
from bot.services.jobs import DONE, KEPT, PARKED, JobWorker, Outcome, later
from bot.storage.repositories.jobs import JobDue, JobRow

if TYPE_CHECKING:
    from bot.services.quiz.runner import QuizRunner

log = logging.getLogger(__name__)

KIND = "quiz"
TAKEOVER_STEPS = 4
"""Moves one takeover makes at most (a reveal, then the results after the last question)."""
RESULTS_GRACE_MS = 24 * 3600 * 1000
"""Results still unposted (after a restart, or by a takeover) are posted if the quiz ended within this time."""


class QuizClaims(Protocol):
    def holding(self, session_id: int) -> AbstractAsyncContextManager[None]:
        """Hold the quiz's job while its runner's task drives it."""
        ...

    def next_due(self, quiz: Quiz) -> JobDue | None:
        """When the quiz's next move is due, to be saved with the move itself (None: nothing to record)."""
        ...

    async def adopt(self, sessions: Sequence[QuizSession]) -> None:
        """This process starts driving these quizzes of its servers: take their jobs, whoever held them."""
        ...


class NoClaims:
    """One process and nothing shared: no job to hold or record."""

    @asynccontextmanager
    async def holding(self, session_id: int) -> AsyncIterator[None]:
        yield

    def next_due(self, quiz: Quiz) -> JobDue | None:
        return None

    async def adopt(self, sessions: Sequence[QuizSession]) -> None:
        return None


def may_take_over(quiz: Quiz) -> bool:
    """Whether a process other than the quiz's own may make its due move: a reveal at the deadline, the last
    reveal's end, or anything of a question of the day. Never a quiz's next question (its clicks could not reach a
    process that is down) nor one whose message never got posted (asking again is the quiz's own process's move)."""
    if quiz.session.daily:
        return True
    if quiz.state is QuizState.ASKING:
        asked = quiz.open_question
        return asked is not None and asked.message_id is not None and asked.deadline_ms is not None
    return quiz.state is QuizState.REVEALING and not quiz.has_next


class QuizJobs:
    def __init__(self, runner: QuizRunner, jobs: JobWorker) -> None:
        self.runner = runner
        self.jobs = jobs
        self.clock = runner.clock
        jobs.handle(KIND, self.claimed)
        runner.claims = self

    def due_of(self, quiz: Quiz) -> int:
        """When the quiz's next move is due (now, if it is due already)."""
        now = self.clock.now_ms()
        if quiz.state is QuizState.ASKING:
            asked = quiz.open_question
            if asked is not None and asked.message_id is not None and asked.deadline_ms is not None:
                return asked.deadline_ms
        elif quiz.state is QuizState.REVEALING and quiz.current is not None:
            return (quiz.current.revealed_ms or now) + int(self.runner.reveal_seconds * 1000)
        return now  # to ask, to announce

    # The quiz's own process --------------------------------------------------------------------------

    @asynccontextmanager
    async def holding(self, session_id: int) -> AsyncIterator[None]:
        session = await self.runner.uow().quizzes.get(session_id)
        if session is None:  # gone (its server's data was deleted): so is its job
            await self.jobs.complete(KIND, session_id)
            yield
            return
        await self.jobs.hold(
            KIND, session_id, session.guild_id, self.clock.now_ms(), lambda: self.runner.cancel(session_id)
        )
        over = False
        try:
            yield
            over = True
        finally:
            if over:
                await self._settle(session_id)
            else:  # stopped, shutting down, or taken over by another process
                with contextlib.suppress(Exception):
                    await self.jobs.let_go(KIND, session_id)

    def next_due(self, quiz: Quiz) -> JobDue:
        return JobDue(KIND, quiz.id, quiz.session.guild_id, self.due_of(quiz))

    async def adopt(self, sessions: Sequence[QuizSession]) -> None:
        for session in sessions:
            await self.jobs.adopt(KIND, session.id, session.guild_id, self.clock.now_ms())

    async def claimed(self, job: JobRow) -> Outcome:
        """The job loop claimed a quiz's job: drive it here if this process holds its server, else take it over."""
        if job.guild_id is None or self.jobs.owns(job.guild_id):
            self.runner.launch(job.key)
            return KEPT
        return await self.take_over(job.key)

    async def _settle(self, session_id: int) -> None:
        """The quiz's runner ended: announce the results if that failed before, then the job is done."""
        quiz = await self.runner.uow().quizzes.load(session_id)
        if quiz is not None:
            await self._announce(quiz)
        await self.jobs.complete(KIND, session_id)

    async def _announce(self, quiz: Quiz) -> None:
        session = quiz.session
        if session.results_message_id is None and (session.ended_ms or 0) >= self.clock.now_ms() - RESULTS_GRACE_MS:
            await self.runner.post_results(quiz, stopped=quiz.state is QuizState.STOPPED)

    # Another process's quiz --------------------------------------------------------------------------

    async def take_over(self, session_id: int) -> Outcome:
        """Make the quiz's due moves that any process may make; then it is due later, parked or done."""
        try:
            return await self._take_over(session_id)
        finally:
            self.runner.forget(session_id)  # nothing of it stays in this process's memory

    async def _take_over(self, session_id: int) -> Outcome:
        revealed_here = False
        for _ in range(TAKEOVER_STEPS):
            quiz = await self.runner.uow().quizzes.load(session_id)
            if quiz is None:
                return DONE
            if not quiz.state.running:
                await self._announce(quiz)
                return DONE
            if not may_take_over(quiz):
                if quiz.state is QuizState.REVEALING and quiz.current is not None and not revealed_here:
                    await self.runner.show_reveal(quiz, quiz.current)  # in case it died before showing it
                log.info("quiz %d waits for the process of its server to ask its next question", session_id)
                return PARKED
            due = self.due_of(quiz)
            if due > self.clock.now_ms():
                return later(due)
            if quiz.state is QuizState.ASKING:
                log.info("quiz %d: its process left its reveal undone; revealing it here", session_id)
            revealed_here = quiz.state is QuizState.ASKING
            try:
                await self.runner.step(session_id)
            except StaleQuiz:
                continue  # its own process moved it meanwhile: look again
        return later(self.clock.now_ms())
