"""The quiz runner: one task per running quiz, moving it through the aggregate and posting what happens.

Each step loads the quiz, asks the aggregate for the next move, saves it and only then posts, so the same loop
serves a fresh quiz and one resumed after a crash: a question whose deadline passed while the bot was down is
revealed at once, and the quiz goes on. A save refused because another task (a stop) changed the quiz first
simply makes the loop read it again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.core.content.library import ContentLibrary
from bot.core.content.models import Question
from bot.core.quiz import render as quiz_render
from bot.core.quiz.aggregate import Quiz
from bot.core.quiz.errors import StaleQuiz
from bot.core.quiz.model import AskedQuestion, QuizSession
from bot.core.quiz.scoring import AnswerRecord, reveal_early, standings
from bot.core.quiz.state import QuizState
from bot.core.reply import Reply
from bot.core.words import plural
from bot.services.clock import Clock
from bot.services.publisher import Publisher, message_nonce
from bot.services.quiz.answer_writer import AnswerWriter
from bot.services.quiz.claims import RESULTS_GRACE_MS, NoClaims, QuizClaims
from bot.services.quiz.unit_of_work import UnitOfWorkFactory
from bot.services.scheduler import Scheduler

log = logging.getLogger(__name__)


@dataclass
class _Answering:
    """An open question a quiz's task waits on: the members who played before it, and those who answered it."""

    position: int
    earlier: set[int]
    answered: set[int] = field(default_factory=set)


class QuizRunner:
    def __init__(
        self,
        library: ContentLibrary,
        clock: Clock,
        uow: UnitOfWorkFactory,
        writer: AnswerWriter,
        scheduler: Scheduler,
        reveal_seconds: float,
        owns: Callable[[int], bool] = lambda guild_id: True,
    ) -> None:
        """``owns``: whether this process answers for a server (its shards hold it); it drives only those servers'
        quizzes, and other processes do a quiz's due work only when its own process left it undone (``claims``)."""
        self.library = library
        self.owns = owns
        self.claims: QuizClaims = NoClaims()
        self.clock = clock
        self.uow = uow
        self.writer = writer
        self.scheduler = scheduler
        self.reveal_seconds = reveal_seconds
        self.publisher: Publisher | None = None
        self._wake: dict[int, asyncio.Event] = {}
        self._shown_reveal: set[tuple[int, int]] = set()
        self.open: dict[int, Quiz] = {}
        """Quizzes whose open question is posted, as saved: clicks are checked against them with no read."""
        self.revealed: Callable[[], None] | None = None
        """Told after a reveal is stored (the review cards of those who answered are updated from it)."""
        self._answering: dict[int, _Answering] = {}
        """Quizzes whose task waits on an open question: who must answer it for an early reveal, and who did."""

    # Tasks ---------------------------------------------------------------------------------------

    def launch(self, session_id: int) -> None:
        """Drive a quiz on the scheduler as ``quiz-<id>`` (once: launching a quiz already driven does nothing)."""
        if _job(session_id) in self.scheduler:
            return
        self._wake[session_id] = asyncio.Event()
        self.scheduler.schedule(_job(session_id), self._drive(session_id))

    def poke(self, session_id: int) -> None:
        """Something changed (a stop, a withdrawn question): the quiz's task looks again now, not at the deadline."""
        wake = self._wake.get(session_id)
        if wake is not None:
            wake.set()

    def answered(self, session_id: int, position: int, user_id: int) -> None:
        """An answer was stored: wake the quiz's task only if it may complete an early reveal.

        With twenty members the task used to read the quiz and its answers again at every click (two queries per
        click, most of a question's database reads); it now reads them when the answers it has been told of cover
        everyone who played before, and once more at the deadline. The database stays the judge (the task reads
        before it reveals); this only saves the reads that could not change anything."""
        waiting = self._answering.get(session_id)
        if waiting is None or waiting.position != position:
            self.poke(session_id)  # not waiting on this question (yet): let the task look for itself
            return
        waiting.answered.add(user_id)
        if reveal_early(position, waiting.earlier, waiting.answered):
            self.poke(session_id)

    async def changed(self, quiz: Quiz) -> None:
        """Another use case saved a running quiz (a hidden question withdrawn from it): the quiz's task reads it
        again now (its copy, and the copy clicks are checked against, follow), so nothing of the older copy is
        asked. A quiz the change ended stops here and posts its results."""
        if not quiz.state.running:
            self.cancel(quiz.id)
            await self.post_results(quiz, stopped=quiz.state is QuizState.STOPPED)
            return
        self.poke(quiz.id)

    def cancel(self, session_id: int) -> None:
        self.open.pop(session_id, None)
        self.scheduler.cancel(_job(session_id))

    def forget(self, session_id: int) -> None:
        """Keep nothing of a quiz this process does not drive (after taking over a move of another process's)."""
        if _job(session_id) not in self.scheduler:
            self.open.pop(session_id, None)
            self._wake.pop(session_id, None)

    async def resume_all(self) -> int:
        """Re-arm every running quiz of this process's servers from the database (after a restart), taking their
        jobs back at once from this process's earlier run."""
        async with self.uow() as uow:
            ended = [
                await uow.quizzes.load(s.id)
                for s in await uow.quizzes.unannounced(self.clock.now_ms() - RESULTS_GRACE_MS)
                if self.owns(s.guild_id)
            ]
            running = [s for s in await uow.quizzes.running() if self.owns(s.guild_id)]
        await self.claims.adopt(running)
        for quiz in ended:
            if quiz is not None:
                await self.post_results(quiz, stopped=quiz.state is QuizState.STOPPED)
        for session in running:
            self.launch(session.id)
        if running:
            log.info("resumed %s", plural(len(running), "running quiz"))
        return len(running)

    async def shutdown(self) -> None:
        """Stop driving quizzes (they stay stored and resume at the next start) and write every waiting answer."""
        await self.scheduler.cancel_all(_job(""))
        await self.writer.drain()

    async def wait_until_over(self, session_id: int) -> None:
        await self.scheduler.wait(_job(session_id))

    async def _drive(self, session_id: int) -> None:
        """Run a quiz to its end, holding its job meanwhile (``claims``). Each step re-reads the quiz, so a failed
        step is simply tried again."""
        async with self.claims.holding(session_id):
            failures = 0
            while True:
                try:
                    if not await self.step(session_id):
                        self._wake.pop(session_id, None)
                        return
                    failures = 0
                except StaleQuiz:
                    log.debug("quiz %d changed under its runner; reading it again", session_id)
                except Exception:
                    failures += 1
                    delay = min(2.0**failures, 60.0)
                    log.exception(
                        "quiz %d: a step failed (%d in a row); retrying in %.0f s", session_id, failures, delay
                    )
                    await self.clock.wait(self.clock.now_ms() + int(delay * 1000), asyncio.Event())

    # Steps ---------------------------------------------------------------------------------------

    async def step(self, session_id: int) -> bool:
        """One move of the quiz; False once it has ended."""
        quiz = await self.uow().quizzes.load(session_id)
        if quiz is None or not quiz.state.running:
            return False
        if quiz.state is QuizState.LOBBY:
            await self._ask_next(quiz)
        elif quiz.state is QuizState.ASKING:
            await self._run_question(quiz)
        else:
            await self._after_reveal(quiz)
        return True

    async def _ask_next(self, quiz: Quiz) -> None:
        before = quiz.snapshot()
        asked = quiz.ask_next(self.clock.now_ms())
        await self.save(quiz, before)
        await self._post_question(quiz, asked)

    async def _post_question(self, quiz: Quiz, asked: AskedQuestion, *, again: bool = False) -> None:
        """Post an asked question. ``again``: it may have been posted before a crash (its id was not recorded);
        the nonce brings that message back instead of a second one, and an edit gives it the new deadline."""
        reply = self.question_reply(quiz.session, asked)
        if reply is None:
            log.error("quiz %d: question %s is no longer in the content; stopping", quiz.id, asked.question_id)
            await self._stop_unattended(quiz)
            return
        publisher = self._publisher()
        message_id = await publisher.post(
            quiz.session.channel_id, reply, message_nonce(quiz.session, "question", asked.position)
        )
        if message_id is None:
            log.warning("quiz %d: cannot post in channel %d; stopping it", quiz.id, quiz.session.channel_id)
            await self._stop_unattended(quiz)
            return
        if again:
            await publisher.edit(quiz.session.channel_id, message_id, reply)
        before = quiz.snapshot()
        quiz.posted(asked.position, message_id)
        await self.save(quiz, before)
        if quiz.open_question is not None:
            self.open[quiz.id] = quiz.snapshot()

    async def _stop_unattended(self, quiz: Quiz) -> None:
        before = quiz.snapshot()
        quiz.stop(self.clock.now_ms(), quiz.session.starter_id, can_manage=True)
        await self.save(quiz, before)

    async def _run_question(self, quiz: Quiz) -> None:
        asked = quiz.open_question
        if asked is None:
            log.error("quiz %d is asking but has no open question; stopping it", quiz.id)
            await self._stop_unattended(quiz)
            return
        if asked.message_id is None or asked.deadline_ms is None:
            # Stored but never posted (stopped in between): ask it again with a fresh deadline.
            before = quiz.snapshot()
            asked = quiz.ask_again(self.clock.now_ms())
            await self.save(quiz, before)
            await self._post_question(quiz, asked, again=True)
            return
        shown = self.open.get(quiz.id)
        self.open[quiz.id] = quiz.snapshot()  # resumed after a restart, or read again after a change
        if shown is not None and shown.session.question_count != quiz.session.question_count:
            await self._recount(quiz, asked)
        wake = self._wake.setdefault(quiz.id, asyncio.Event())
        position = asked.position
        answers = self.uow().answers
        earlier = await answers.players(quiz.id, before=position) if position else set()
        waiting = self._answering[quiz.id] = _Answering(position, earlier)
        try:
            while True:
                wake.clear()  # before reading: an answer stored during the read wakes the wait below at once
                answered = await answers.players(quiz.id, at=position) if earlier else set()
                waiting.answered |= answered
                if quiz.reveal_due(self.clock.now_ms(), earlier, answered):
                    break
                await self.clock.wait(asked.deadline_ms, wake)
                current = await self.uow().quizzes.get(quiz.id)
                if current is None or current.version != quiz.session.version:
                    return  # changed meanwhile (stopped, closed early): the next step reads it again
        finally:
            if self._answering.get(quiz.id) is waiting:
                del self._answering[quiz.id]
        self.open.pop(quiz.id, None)
        before = quiz.snapshot()
        revealed = quiz.reveal(self.clock.now_ms())
        await self.save(quiz, before)
        await self.show_reveal(quiz, revealed)

    async def _after_reveal(self, quiz: Quiz) -> None:
        asked = quiz.current
        assert asked is not None  # revealing: the question at the position was asked
        if (quiz.id, asked.position) not in self._shown_reveal:
            await self.show_reveal(quiz, asked)  # after a restart: show it again (an idempotent edit)
        pause_until = (asked.revealed_ms or self.clock.now_ms()) + int(self.reveal_seconds * 1000)
        if not await self._pause(quiz, pause_until):
            return  # changed meanwhile (a question withdrawn, a stop): the next step reads it again
        if quiz.has_next:
            await self._ask_next(quiz)
            return
        before = quiz.snapshot()
        quiz.finish(self.clock.now_ms())
        await self.save(quiz, before)
        await self.post_results(quiz, stopped=False)

    async def _recount(self, quiz: Quiz, asked: AskedQuestion) -> None:
        """The open question's message says how many questions the quiz has: a question withdrawn with none in its
        place changed that (an edit from this task, so it never lands on top of the reveal)."""
        reply = self.question_reply(quiz.session, asked)
        if reply is not None and asked.message_id is not None:
            await self._publisher().edit(quiz.session.channel_id, asked.message_id, reply)

    async def _pause(self, quiz: Quiz, until_ms: int) -> bool:
        """Wait until ``until_ms``; False as soon as a poke finds the stored quiz changed since ``quiz`` was read."""
        wake = self._wake.setdefault(quiz.id, asyncio.Event())
        while self.clock.now_ms() < until_ms:
            wake.clear()
            await self.clock.wait(until_ms, wake)
            if wake.is_set():
                current = await self.uow().quizzes.get(quiz.id)
                if current is None or current.version != quiz.session.version:
                    return False
        return True

    # Messages ------------------------------------------------------------------------------------

    def question_of(self, session: QuizSession, asked: AskedQuestion | None) -> Question | None:
        module = self.library.module(session.module)
        return None if module is None or asked is None else module.question(asked.question_id)

    def question_reply(self, session: QuizSession, asked: AskedQuestion) -> Reply | None:
        """The question message as posted; None when its question is no longer in the content."""
        module = self.library.module(session.module)
        question = self.question_of(session, asked)
        if module is None or question is None or asked.deadline_ms is None:
            return None
        return quiz_render.question_reply(
            module,
            session.id,
            asked.position,
            session.question_count,
            question,
            asked.deadline_ms,
            daily=session.daily,
        )

    async def show_reveal(self, quiz: Quiz, asked: AskedQuestion) -> None:
        """Show a stored reveal in the channel (every path that reveals comes here once the reveal is saved)."""
        if self.revealed is not None:
            self.revealed()
        session = quiz.session
        module = self.library.module(session.module)
        question = self.question_of(session, asked)
        if module is None or question is None:
            return
        await self.writer.write_names()
        store = self.uow().answers
        answers = await store.answers(session.id, asked.position)
        picks = [sum(1 for a in answers if a.choice == i) for i in range(len(question.choices))]
        scorers = sorted(((a.user_id, a.points) for a in answers if a.correct), key=lambda s: -s[1])
        names = await store.names(session.guild_id, [u for u, _ in scorers])
        reply = quiz_render.reveal_reply(
            module, asked.position, session.question_count, question, picks, scorers, names, daily=session.daily
        )
        publisher = self._publisher()
        edited = asked.message_id is not None and await publisher.edit(session.channel_id, asked.message_id, reply)
        if not edited:  # the question message is gone: the reveal becomes a message of its own
            await publisher.post(session.channel_id, reply, message_nonce(session, "reveal", asked.position))
        self._shown_reveal.add((session.id, asked.position))

    async def post_results(self, quiz: Quiz, stopped: bool) -> None:
        session = quiz.session
        module = self.library.module(session.module)
        if session.daily:
            await self._results_posted(session.id, 0)  # its reveal is its result
            return
        if module is None:
            return
        asked = {q.position: q for q in quiz.questions}
        records = [
            AnswerRecord(
                a.user_id,
                a.position,
                a.choice,
                a.correct,
                a.points,
                a.answered_ms,
                asked[a.position].asked_ms or a.answered_ms,
            )
            for a in await self.uow().answers.answers(session.id)
        ]
        table = standings(records)
        await self.writer.write_names()
        names = await self.uow().answers.names(session.guild_id, [s.user_id for s in table])
        reply = quiz_render.results_reply(module, table, names, quiz.asked_count, stopped)
        message_id = await self._publisher().post(session.channel_id, reply, message_nonce(session, "results"))
        if message_id is not None:
            await self._results_posted(session.id, message_id)

    async def save(self, quiz: Quiz, before: Quiz) -> None:
        """Store one move of a quiz (StaleQuiz when another task moved it first: the caller reads it again)."""
        async with self.uow() as uow:
            uow.quizzes.save(quiz, before)
            if (due := self.claims.next_due(quiz)) is not None:
                uow.quizzes.due(due)  # one commit for the move and for when the next one is due
            await uow.commit()

    async def _results_posted(self, session_id: int, message_id: int) -> None:
        async with self.uow() as uow:
            uow.quizzes.results_posted(session_id, message_id)
            await uow.commit()

    def _publisher(self) -> Publisher:
        if self.publisher is None:
            raise RuntimeError("no publisher attached to the quiz runner")
        return self.publisher


def _job(session_id: int | str) -> str:
    """The scheduler's name for a quiz's runner; ``_job("")`` is the prefix of them all."""
    return f"quiz-{session_id}"
