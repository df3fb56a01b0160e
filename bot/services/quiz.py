"""Quiz use cases: start, answer, reveal, next, stop, status, and resuming every running quiz after a restart.

Each quiz is driven by one task that reads its state from the database at every step, so the same loop
serves a fresh quiz and one resumed after a crash: a question whose deadline passed while the bot was down
is revealed at once, and the quiz goes on. Posting goes through a ``Publisher`` the adapter provides.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from bot.core.content.library import ContentModule
from bot.core.content.models import Question
from bot.core.errors import InvalidInput, NotFound
from bot.core.quiz import render as quiz_render
from bot.core.quiz.engine import (
    AnswerRecord,
    QuizRules,
    QuizState,
    best_streak,
    pick_questions,
    reveal_early,
    score,
    standings,
    week_start_ms,
)
from bot.core.reply import Reply
from bot.core.words import plural
from bot.services.app import App
from bot.services.catalog import Caller, CommandSpec, OptionSpec
from bot.services.clock import Clock
from bot.services.server_settings import SettingsService
from bot.settings import Settings
from bot.storage.repositories.quiz import (
    AlreadyPosted,
    AskedQuestion,
    ChannelBusy,
    NewSession,
    QuizRepository,
    QuizSession,
    StoredAnswer,
)
from bot.storage.repositories.study import StudyChannel, StudyRepository

log = logging.getLogger(__name__)


class Publisher(Protocol):
    """How quiz messages reach a channel; the adapter implements it (Discord channel, console screen)."""

    async def post(self, channel_id: int, reply: Reply, nonce: str | None = None) -> int | None:
        """Post a message; return its id, or None when the channel cannot be posted to.

        ``nonce`` makes the post idempotent for a few minutes: posting again with the same nonce returns the
        first message instead of a second one (Discord's ``enforce_nonce``), so a post retried after a crash
        between posting and recording the message id shows up once.
        """
        ...

    async def edit(self, channel_id: int, message_id: int, reply: Reply) -> bool:
        """Replace a message; False when it no longer exists."""
        ...

    def link(self, guild_id: int, channel_id: int, message_id: int | None) -> str:
        """Where a user can find a message (a jump URL on Discord)."""
        ...

    async def channel_guild(self, channel_id: int) -> int | None:
        """The server a channel belongs to, or None when the bot cannot see it."""
        ...


MAX_QUESTIONS = 50
DAILY = "daily"
RESULTS_GRACE_MS = 24 * 3600 * 1000
"""Results still unposted after a restart are posted if the quiz ended within this time."""
QUIZ_COMMANDS = ("quiz start", "quiz stop", "quiz status", "quiz close-daily", "leaderboard", "stats")
DEFAULT_RULES = QuizRules(question_count=10, seconds=20, points=100, speed_bonus=True)


@dataclass(frozen=True)
class QuizDefaults:
    """Defaults until per-server settings exist: questions per quiz, seconds per question, points, bonus."""

    rules: QuizRules = DEFAULT_RULES
    reveal_seconds: float = 5.0


def quiz_defaults(settings: Settings) -> QuizDefaults:
    rules = QuizRules(settings.quiz_questions, settings.quiz_seconds, settings.quiz_points, settings.quiz_speed_bonus)
    return QuizDefaults(rules=rules, reveal_seconds=settings.quiz_reveal_seconds)


class QuizService:
    def __init__(
        self,
        app: App,
        clock: Clock,
        defaults: QuizDefaults | None = None,
        server_settings: SettingsService | None = None,
        study: StudyRepository | None = None,
    ) -> None:
        self.app = app
        self.clock = clock
        self.defaults = defaults or QuizDefaults()
        self.server_settings = server_settings
        self.study = study
        self.repo = QuizRepository(app.db)
        self.publisher: Publisher | None = None
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._wake: dict[int, asyncio.Event] = {}
        self._shown_reveal: set[tuple[int, int]] = set()
        self._open: dict[int, tuple[QuizSession, AskedQuestion]] = {}
        """Session id -> (session, its open question), for questions posted and not yet closed."""

    # The catalogue -------------------------------------------------------------------------------

    def command_specs(self, module: ContentModule) -> list[CommandSpec]:
        if not module.questions:
            return []
        topics = tuple(sorted({q.topic for q in module.questions}))
        return [
            CommandSpec(
                module.id,
                "quiz start",
                "Start a quiz in this channel; anyone here can answer",
                (
                    OptionSpec(
                        "questions",
                        f"How many questions (1 to {MAX_QUESTIONS}; default {self.defaults.rules.question_count})",
                        kind="integer",
                        min_value=1,
                        max_value=MAX_QUESTIONS,
                    ),
                    OptionSpec("topic", "Only questions on this topic", choices=topics[:25]),
                    OptionSpec(
                        "difficulty", "Only this difficulty (1 easy, 3 hard)", kind="integer", min_value=1, max_value=3
                    ),
                ),
                guild_only=True,
            ),
            CommandSpec(
                module.id, "quiz stop", "Stop this channel's quiz (its starter or Manage Server)", guild_only=True
            ),
            CommandSpec(
                module.id,
                "quiz close-daily",
                "Reveal this channel's question of the day now, before its window ends (Manage Server)",
                guild_only=True,
            ),
            CommandSpec(module.id, "quiz status", "Where this channel's quiz is up to", guild_only=True),
            CommandSpec(
                module.id,
                "leaderboard",
                "Top 10, all time and this week, in this server or this channel",
                (OptionSpec("scope", "The whole server (default) or this channel", choices=("server", "channel")),),
                guild_only=True,
            ),
            CommandSpec(
                module.id,
                "stats",
                "Quiz stats in this server: yours, or another member's",
                (OptionSpec("member", "Whose stats (default: yours)", kind="user"),),
                guild_only=True,
            ),
        ]

    async def run(self, caller: Caller, module: ContentModule, name: str, options: Mapping[str, str | int]) -> Reply:
        if name == "quiz start":
            return await self.start(caller, module, options)
        if name == "quiz stop":
            return await self.stop(caller, module)
        if name == "quiz close-daily":
            return await self.close_daily(caller)
        if name == "leaderboard":
            return await self.leaderboard(caller, module, options.get("scope") == "channel")
        if name == "stats":
            return await self.stats(caller, module, options.get("member"))
        return await self.status(caller, module)

    async def leaderboard(self, caller: Caller, module: ContentModule, this_channel: bool = False) -> Reply:
        guild_id, channel_id = _in_server(caller)
        scope = channel_id if this_channel else None
        boards = []
        for title, since in (("All time", None), ("This week", week_start_ms(self.clock.now_ms()))):
            rows = await self.repo.leaderboard(guild_id, since, channel_id=scope)
            mine = await self.repo.rank_of(guild_id, caller.user_id, since, channel_id=scope)
            boards.append(
                (
                    title,
                    [(r.user_id, r.points, r.correct, r.answered) for r in rows],
                    None if mine is None else (mine[0], mine[1].points),
                )
            )
        users = {user for _, rows, _ in boards for user, *_ in rows}
        names = await self.repo.names(guild_id, sorted(users))
        return quiz_render.leaderboard_reply(module, boards, names)

    async def stats(self, caller: Caller, module: ContentModule, member: object) -> Reply:
        guild_id, _ = _in_server(caller)
        user_id = caller.user_id if member is None else int(str(member))
        history = await self.repo.history(guild_id, user_id)
        names = await self.repo.names(guild_id, [user_id])
        name = caller.display_name if user_id == caller.user_id else names.get(user_id, f"member {user_id}")
        topics: dict[str, list[bool]] = {}
        for answer in history:
            topics.setdefault(answer.topic, []).append(answer.correct)
        per_topic = [(topic, sum(marks), len(marks)) for topic, marks in sorted(topics.items())]
        return quiz_render.stats_reply(
            module,
            name,
            answered=len(history),
            correct=sum(1 for a in history if a.correct),
            points=sum(a.points for a in history),
            best_streak=best_streak([a.correct for a in history]),
            per_topic=per_topic,
        )

    # Commands ------------------------------------------------------------------------------------

    async def start(self, caller: Caller, module: ContentModule, options: Mapping[str, str | int]) -> Reply:
        guild_id, channel_id = _in_server(caller)
        if not module.questions:
            raise NotFound(f"/{module.id} has no quiz questions yet.")
        base, pool = await self._rules_for(guild_id, module)
        count = int(options.get("questions", base.question_count))
        topic = options.get("topic") or await self._study_topic(guild_id, channel_id)
        difficulty = options.get("difficulty")
        if topic is not None and module.topic(str(topic)) is None:
            raise InvalidInput(f"There is no topic `{topic}`. Use /{module.id} topics to see them.")
        seed = secrets.randbits(48)
        bank = [q for q in module.questions if topic is not None or not pool or q.topic in pool]
        chosen = pick_questions(
            bank,
            count,
            seed,
            None if topic is None else str(topic),
            None if difficulty is None else int(difficulty),
        )
        rules = QuizRules(len(chosen), base.seconds, base.points, base.speed_bonus)
        new = NewSession(
            guild_id=guild_id,
            channel_id=channel_id,
            starter_id=caller.user_id,
            module=module.id,
            topic=None if topic is None else str(topic),
            difficulty=None if difficulty is None else int(difficulty),
            rules=rules,
            seed=seed,
        )
        try:
            session = await self.repo.create(new, [q.id for q in chosen], self.clock.now_ms())
        except ChannelBusy as busy:
            asked = await self.repo.question(busy.running.id, busy.running.position)
            where = self._link(busy.running, asked)
            raise InvalidInput(
                f"A quiz is already running in this channel: {where}. Answer there, or stop it first."
            ) from None
        await self.repo.remember_member(guild_id, caller.user_id, caller.display_name, self.clock.now_ms())
        self.launch(session.id)
        short = "" if len(chosen) == count else f" (you asked for {count}; no more match your filters)"
        return Reply(
            title="Quiz starting",
            body=(
                f"{plural(len(chosen), 'question')}{short}, {rules.seconds} s each. Anyone here can answer, once per "
                f"question. Right answers score {plural(rules.points, 'point')}"
                + (", plus a speed bonus." if rules.speed_bonus else ".")
            ),
            footer=module.info.disclaimer,
            color=module.info.color,
        )

    async def start_daily(
        self, channel: StudyChannel, module: ContentModule, day: str, closes_ms: int, seed: int
    ) -> QuizSession | None:
        """Post a channel's question of the day for ``day``; None if that day was already posted."""
        rules, pool = await self._rules_for(channel.guild_id, module)
        topic = channel.topic
        bank = [q for q in module.questions if (q.topic == topic if topic else (not pool or q.topic in pool))]
        if not bank:
            log.warning("no questions for the daily question in channel %d (topic %s)", channel.channel_id, topic)
            return None
        usage = await self.repo.daily_usage(channel.channel_id)
        least = min(usage.get(q.id, 0) for q in bank)
        fresh = [q for q in bank if usage.get(q.id, 0) == least]  # no repeat until the pool is used up
        (question,) = pick_questions(fresh, 1, seed)
        new = NewSession(
            guild_id=channel.guild_id,
            channel_id=channel.channel_id,
            starter_id=0,
            module=module.id,
            topic=topic,
            difficulty=None,
            rules=QuizRules(1, 600, rules.points, rules.speed_bonus),
            seed=seed,
            kind=DAILY,
            closes_ms=closes_ms,
            daily_day=day,
        )
        try:
            session = await self.repo.create(new, [question.id], self.clock.now_ms())
        except AlreadyPosted:
            return None
        try:
            await self._ask(session, 0)  # posted before the tick returns: start-up shows what it owed
        except Exception:
            log.exception(
                "question of the day in channel %d: first post failed; its runner retries", session.channel_id
            )
        self.launch(session.id)
        return session

    async def _study_topic(self, guild_id: int, channel_id: int) -> str | None:
        """The channel's study-group topic; refuses a channel that is not a study group when the server has some."""
        if self.study is None:
            return None
        channels = await self.study.of_guild(guild_id)
        if not channels:
            return None
        here = next((c for c in channels if c.channel_id == channel_id), None)
        if here is None:
            where = ", ".join(f"<#{c.channel_id}>" for c in channels[:10])
            raise InvalidInput(f"In this server quizzes run in the study-group channels: {where}.")
        return here.topic

    async def _rules_for(self, guild_id: int, module: ContentModule) -> tuple[QuizRules, tuple[str, ...]]:
        """This server's quiz rules and topic pool (empty: every topic)."""
        if self.server_settings is None:
            return self.defaults.rules, ()
        server = await self.server_settings.effective(guild_id, module)
        return QuizRules(server.questions, server.seconds, server.points, server.speed_bonus), server.topics

    async def stop(self, caller: Caller, module: ContentModule) -> Reply:
        guild_id, channel_id = _in_server(caller)
        session = await self.repo.running_in_channel(channel_id)
        if session is None or session.guild_id != guild_id:
            raise NotFound("No quiz is running in this channel.")
        if caller.user_id != session.starter_id and not caller.can_manage_guild:
            raise InvalidInput("Only the member who started this quiz, or someone with Manage Server, can stop it.")
        self._open.pop(session.id, None)
        if await self.repo.end(session.id, QuizState.STOPPED, self.clock.now_ms()):
            self._poke(session.id)
            task = self._tasks.get(session.id)
            if task is not None:
                task.cancel()
            await self._post_results(session, stopped=True)
        return Reply(title="Quiz stopped", body="The results so far are posted in the channel.", ephemeral=True)

    async def close_daily(self, caller: Caller) -> Reply:
        """Close a question of the day now: its answer is revealed and it counts, as at the end of its window."""
        guild_id, channel_id = _in_server(caller)
        if not caller.can_manage_guild:
            raise InvalidInput("Closing the question of the day early needs the Manage Server permission.")
        session = await self.repo.running_in_channel(channel_id, kind=DAILY)
        if session is None or session.guild_id != guild_id:
            raise NotFound("No question of the day is open in this channel.")
        asked = await self.repo.question(session.id, session.position)
        self._open.pop(session.id, None)
        if asked is not None and await self.repo.reveal(session.id, asked.position, self.clock.now_ms()):
            await self._show_reveal(session, asked)
        if await self.repo.end(session.id, QuizState.FINISHED, self.clock.now_ms()):
            task = self._tasks.get(session.id)
            if task is not None:
                task.cancel()
            await self._post_results(session, stopped=False)
        return Reply(
            title="Question of the day closed",
            body="The answer is revealed in the channel; answers given so far count.",
            ephemeral=True,
        )

    async def status(self, caller: Caller, module: ContentModule) -> Reply:
        guild_id, channel_id = _in_server(caller)
        session = await self.repo.running_in_channel(channel_id)
        if session is None or session.guild_id != guild_id:
            return Reply(
                title="No quiz running here",
                body=f"Start one with /{module.id} quiz start.",
                footer=module.info.disclaimer,
                ephemeral=True,
            )
        asked = await self.repo.question(session.id, session.position)
        answers = await self.repo.answers(session.id)
        players = len({a.user_id for a in answers})
        state = {"lobby": "starting", "asking": "asking", "revealing": "showing the answer"}[session.state.value]
        lines = [
            f"Question {session.position + 1} of {session.question_count}, {state}.",
            f"{plural(players, 'player')} so far, {plural(len(answers), 'answer')}.",
            f"Message: {self._link(session, asked)}",
        ]
        if asked is not None and asked.deadline_ms and session.state is QuizState.ASKING:
            lines.insert(1, f"Closes <t:{asked.deadline_ms // 1000}:R>.")
        return Reply(title="Quiz status", body="\n".join(lines), footer=module.info.disclaimer, ephemeral=True)

    async def answer(self, caller: Caller, session_id: int, position: int, choice: int) -> Reply:
        """A click on an answer button, checked against the database; acknowledged to the clicker alone.

        The open question of each quiz this process drives is kept in memory (its rows cannot change while it
        is open), so a click on it costs no read; the insert itself still refuses a question already closed.
        """
        live = self._open.get(session_id)
        asked: AskedQuestion | None
        if live is not None and live[1].position == position:
            session, asked = live
        else:
            found = await self.repo.get(session_id)
            if found is None:
                raise NotFound("That quiz does not exist (any more).")
            session = found
            asked = await self.repo.question(session_id, position)
        if caller.guild_id != session.guild_id:
            raise NotFound("That quiz belongs to another server.")
        if not session.state.running:
            raise InvalidInput("This quiz is over. Start a new one with the quiz start command.")
        module = self.app.library.module(session.module)
        question = _question(module, asked)
        if asked is None or question is None or module is None:
            raise NotFound("That question is not part of this quiz.")
        if choice >= len(question.choices):
            raise NotFound("That choice does not exist for this question.")
        now = self.clock.now_ms()
        asked_ms = asked.asked_ms
        closed = position != session.position or asked.revealed_ms is not None or asked_ms is None
        late = asked.deadline_ms is not None and now > asked.deadline_ms
        if closed or late or asked_ms is None:
            existing = await self.repo.answer_of(session_id, position, caller.user_id)
            if existing is not None:
                return _ack(f"You already answered {quiz_render.letter(existing.choice)}", "One answer per question.")
            raise InvalidInput(
                "That question is closed. Answer the current one." if closed else "Time is up for that question."
            )
        correct = choice == question.answer
        points = score(correct, now, asked_ms, asked.deadline_ms or now, session.rules)
        new = StoredAnswer(
            session_id=session_id,
            position=position,
            user_id=caller.user_id,
            guild_id=session.guild_id,
            topic=question.topic,
            choice=choice,
            correct=correct,
            points=points,
            answered_ms=now,
        )
        try:
            stored, fresh = await self.repo.record_answer(new, caller.display_name)
        except LookupError:
            raise InvalidInput("That question is closed. Answer the current one.") from None
        if not fresh:
            return _ack(f"You already answered {quiz_render.letter(stored.choice)}", "One answer per question.")
        if position > 0:
            self._poke(session_id)  # the first question is never revealed early: nothing to re-check
        return _ack(f"Locked in: {quiz_render.letter(choice)}", "The answer is revealed when time is up.")

    # Driving quizzes -----------------------------------------------------------------------------

    def launch(self, session_id: int) -> None:
        if session_id in self._tasks and not self._tasks[session_id].done():
            return
        self._wake[session_id] = asyncio.Event()
        task = asyncio.create_task(self._drive(session_id), name=f"quiz-{session_id}")
        self._tasks[session_id] = task
        task.add_done_callback(functools.partial(self._finished, session_id))

    async def resume_all(self) -> int:
        """Re-arm every running quiz from the database (after a restart)."""
        for ended in await self.repo.unannounced(self.clock.now_ms() - RESULTS_GRACE_MS):
            await self._post_results(ended, stopped=ended.state is QuizState.STOPPED)
        running = await self.repo.running()
        for session in running:
            self.launch(session.id)
        if running:
            log.info("resumed %d running quiz(zes)", len(running))
        return len(running)

    async def shutdown(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.repo.drain()

    async def wait_until_over(self, channel_id: int) -> None:
        """Wait for the quiz running in a channel to end (the console's `wait`, for scripts)."""
        session = await self.repo.running_in_channel(channel_id)
        task = None if session is None else self._tasks.get(session.id)
        if task is not None:
            await asyncio.wait({task})

    def _finished(self, session_id: int, task: asyncio.Task[None]) -> None:
        if self._tasks.get(session_id) is task:
            del self._tasks[session_id]
            self._wake.pop(session_id, None)
        if not task.cancelled() and task.exception() is not None:
            log.error("quiz %d stopped by an unexpected error", session_id, exc_info=task.exception())

    def _poke(self, session_id: int) -> None:
        wake = self._wake.get(session_id)
        if wake is not None:
            wake.set()

    async def _drive(self, session_id: int) -> None:
        """Run a quiz to its end. Each step re-reads the state, so a failed step is simply tried again."""
        failures = 0
        while True:
            try:
                if not await self._step(session_id):
                    return
                failures = 0
            except Exception:
                failures += 1
                delay = min(2.0**failures, 60.0)
                log.exception("quiz %d: a step failed (%d in a row); retrying in %.0f s", session_id, failures, delay)
                await self.clock.wait(self.clock.now_ms() + int(delay * 1000), asyncio.Event())

    async def _step(self, session_id: int) -> bool:
        """One move of the state machine; False once the quiz has ended."""
        session = await self.repo.get(session_id)
        if session is None or not session.state.running:
            return False
        if session.state is QuizState.LOBBY:
            await self._ask(session, 0)
            return True
        asked = await self.repo.question(session.id, session.position)
        if asked is None:
            log.error("quiz %d lost its question %d; stopping it", session.id, session.position)
            await self.repo.end(session.id, QuizState.STOPPED, self.clock.now_ms())
            return False
        if session.state is QuizState.ASKING:
            await self._run_question(session, asked)
        else:
            await self._after_reveal(session, asked)
        return True

    async def _ask(self, session: QuizSession, position: int) -> None:
        now = self.clock.now_ms()
        if not await self.repo.ask(session, position, now, _deadline(session, now)):
            return  # the state changed under us (stopped); the loop re-reads it
        asked = await self.repo.question(session.id, position)
        if asked is not None:
            await self._post_question(session, asked)

    async def _post_question(self, session: QuizSession, asked: AskedQuestion, *, again: bool = False) -> None:
        """Post an asked question. ``again``: it may have been posted before a crash (its id was not recorded);
        the nonce brings that message back instead of a second one, and an edit gives it the new deadline."""
        reply = self._question_reply(session, asked)
        if reply is None:
            log.error("quiz %d: question %s is no longer in the content; stopping", session.id, asked.question_id)
            await self.repo.end(session.id, QuizState.STOPPED, self.clock.now_ms())
            return
        publisher = self._publisher()
        message_id = await publisher.post(session.channel_id, reply, message_nonce(session, "question", asked.position))
        if message_id is not None and again:
            await publisher.edit(session.channel_id, message_id, reply)
        if message_id is None:
            log.warning("quiz %d: cannot post in channel %d; stopping it", session.id, session.channel_id)
            await self.repo.end(session.id, QuizState.STOPPED, self.clock.now_ms())
            return
        await self.repo.set_message(session.id, asked.position, message_id)
        await self._remember_open(session.id, asked.position)

    def _question_reply(self, session: QuizSession, asked: AskedQuestion) -> Reply | None:
        """The question message as posted; None when its question is no longer in the content."""
        module = self.app.library.module(session.module)
        question = _question(module, asked)
        if module is None or question is None or asked.deadline_ms is None:
            return None
        return quiz_render.question_reply(
            module,
            session.id,
            asked.position,
            session.question_count,
            question,
            asked.deadline_ms,
            daily=session.kind == DAILY,
        )

    async def open_questions(self) -> list[Reply]:
        """Questions still open in running quizzes, as posted: the console shows them again after a restart."""
        replies: list[Reply] = []
        for session in await self.repo.running():
            asked = await self.repo.question(session.id, session.position)
            if session.state is not QuizState.ASKING or asked is None or asked.message_id is None:
                continue
            reply = self._question_reply(session, asked)
            if reply is not None and (asked.deadline_ms or 0) > self.clock.now_ms():
                replies.append(reply)
        return replies

    async def running_kinds(self) -> tuple[int, int]:
        """How many quizzes and questions of the day are running (stored, so they go on after a restart)."""
        running = await self.repo.running()
        daily = sum(1 for session in running if session.kind == DAILY)
        return len(running) - daily, daily

    async def _remember_open(self, session_id: int, position: int) -> None:
        """Keep an open question's rows for clicks, read back so the cache holds exactly what is stored."""
        fresh = await self.repo.get(session_id)
        question = await self.repo.question(session_id, position)
        if (
            fresh is not None
            and question is not None
            and fresh.state is QuizState.ASKING
            and fresh.position == position
        ):
            self._open[session_id] = (fresh, question)

    async def _run_question(self, session: QuizSession, asked: AskedQuestion) -> None:
        if asked.message_id is None or asked.deadline_ms is None:
            # Stopped between storing the question and posting it: ask it again with a fresh deadline.
            session = session.model_copy(update={"state": QuizState.REVEALING})
            await self._reask(session, asked.position)
            return
        if session.id not in self._open:
            await self._remember_open(session.id, asked.position)  # resumed after a restart
        wake = self._wake.setdefault(session.id, asyncio.Event())
        earlier = await self.repo.players(session.id, before=asked.position) if asked.position else set()
        while self.clock.now_ms() < asked.deadline_ms:
            if earlier and reveal_early(
                asked.position, earlier, await self.repo.players(session.id, at=asked.position)
            ):
                break
            wake.clear()
            await self.clock.wait(asked.deadline_ms, wake)
            current = await self.repo.get(session.id)
            if current is None or current.state is not QuizState.ASKING:
                return
        self._open.pop(session.id, None)
        if await self.repo.reveal(session.id, asked.position, self.clock.now_ms()):
            await self._show_reveal(session, asked)

    async def _reask(self, session: QuizSession, position: int) -> None:
        now = self.clock.now_ms()
        await self.repo.reschedule(session.id, position, now, _deadline(session, now))
        asked = await self.repo.question(session.id, position)
        if asked is not None:
            await self._post_question(session, asked, again=True)

    async def _after_reveal(self, session: QuizSession, asked: AskedQuestion) -> None:
        if (session.id, asked.position) not in self._shown_reveal:
            await self._show_reveal(session, asked)  # after a restart: show it again (an idempotent edit)
        pause_until = (asked.revealed_ms or self.clock.now_ms()) + int(self.defaults.reveal_seconds * 1000)
        await self.clock.wait(pause_until, asyncio.Event())
        if asked.position + 1 < session.question_count:
            await self._ask(session, asked.position + 1)
            return
        if await self.repo.end(session.id, QuizState.FINISHED, self.clock.now_ms()):
            await self._post_results(session, stopped=False)

    async def _show_reveal(self, session: QuizSession, asked: AskedQuestion) -> None:
        module = self.app.library.module(session.module)
        question = _question(module, asked)
        if module is None or question is None:
            return
        answers = await self.repo.answers(session.id, asked.position)
        picks = [sum(1 for a in answers if a.choice == i) for i in range(len(question.choices))]
        scorers = sorted(((a.user_id, a.points) for a in answers if a.correct), key=lambda s: -s[1])
        names = await self.repo.names(session.guild_id, [u for u, _ in scorers])
        reply = quiz_render.reveal_reply(
            module, asked.position, session.question_count, question, picks, scorers, names, daily=session.kind == DAILY
        )
        publisher = self._publisher()
        edited = asked.message_id is not None and await publisher.edit(session.channel_id, asked.message_id, reply)
        if not edited:  # the question message is gone: the reveal becomes a message of its own
            await publisher.post(session.channel_id, reply, message_nonce(session, "reveal", asked.position))
        self._shown_reveal.add((session.id, asked.position))

    async def _post_results(self, session: QuizSession, stopped: bool) -> None:
        module = self.app.library.module(session.module)
        if session.kind == DAILY:
            await self.repo.set_results_message(session.id, 0)  # its reveal is its result
            return
        if module is None:
            return
        answers = await self.repo.answers(session.id)
        asked = {q.position: q for q in await self.repo.asked_questions(session.id)}
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
            for a in answers
        ]
        table = standings(records)
        names = await self.repo.names(session.guild_id, [s.user_id for s in table])
        count = sum(1 for q in asked.values() if q.asked_ms is not None)
        reply = quiz_render.results_reply(module, table, names, count, stopped)
        message_id = await self._publisher().post(session.channel_id, reply, message_nonce(session, "results"))
        if message_id is not None:
            await self.repo.set_results_message(session.id, message_id)

    def _publisher(self) -> Publisher:
        if self.publisher is None:
            raise RuntimeError("no publisher attached to the quiz service")
        return self.publisher

    def _link(self, session: QuizSession, asked: AskedQuestion | None) -> str:
        message_id = asked.message_id if asked else None
        if self.publisher is None:
            return "this channel"
        return self.publisher.link(session.guild_id, session.channel_id, message_id)


def _deadline(session: QuizSession, now_ms: int) -> int:
    """When an opened question closes: the session's fixed closing time, or its seconds from now."""
    return session.closes_ms if session.closes_ms is not None else now_ms + session.seconds * 1000


def _in_server(caller: Caller) -> tuple[int, int]:
    if caller.guild_id is None or caller.channel_id is None:
        raise InvalidInput("Quizzes run in a server channel, not in direct messages.")
    return caller.guild_id, caller.channel_id


def _question(module: ContentModule | None, asked: AskedQuestion | None) -> Question | None:
    if module is None or asked is None:
        return None
    return module.question(asked.question_id)


def message_nonce(session: QuizSession, what: str, position: int = 0) -> str:
    """The same 24 characters every time this message of this quiz is posted, and no other message's.

    The session's random seed is part of it, so a quiz of a restored or reset database, which may reuse
    session ids, never gets an older quiz's message back.
    """
    key = f"{session.id}:{session.seed}:{what}:{position}".encode()
    return hashlib.blake2b(key, digest_size=12).hexdigest()


def _ack(title: str, body: str) -> Reply:
    return Reply(title=title, body=body, ephemeral=True)
