"""Quiz use cases: start, stop, close a question of the day, status, and a click on an answer.

Each one loads what it needs, lets the aggregate apply the rule (a broken rule is a named domain error the
adapter shows), saves, and leaves the posting to the runner.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping

from bot.core.content.library import ContentModule
from bot.core.errors import InvalidInput, NotFound
from bot.core.moderation import HiddenQuestions
from bot.core.quiz import render as quiz_render
from bot.core.quiz.aggregate import Quiz
from bot.core.quiz.errors import (
    AlreadyAnswered,
    AlreadyPosted,
    ChannelBusy,
    NotInThisQuiz,
    QuestionClosed,
    QuizOver,
    StaleQuiz,
)
from bot.core.quiz.model import QuizKind, QuizRules, QuizSession, StoredAnswer
from bot.core.quiz.state import QuizState
from bot.core.reply import Reply, ReplyField
from bot.core.text import ChannelRef, Text, Timestamp, join, text
from bot.core.words import plural
from bot.services.app import App
from bot.services.catalog import Caller, CommandSpec, OptionValue
from bot.services.charts import ChartRenderer
from bot.services.clock import Clock
from bot.services.publisher import Publisher
from bot.services.quiz import boards
from bot.services.quiz.answer_writer import AnswerWriter
from bot.services.quiz.runner import QuizRunner
from bot.services.quiz.specs import QuizHandlers, quiz_specs
from bot.services.quiz.starting import QuizDefaults, new_daily, new_quiz
from bot.services.quiz.unit_of_work import UnitOfWorkFactory, sql_units
from bot.services.scheduler import Scheduler
from bot.services.server_settings import SettingsService
from bot.storage.repositories.answers import AnswerRepository
from bot.storage.repositories.study import StudyChannel, StudyRepository

log = logging.getLogger(__name__)

StatsExtra = Callable[[Caller, ContentModule, int], Awaitable[list[ReplyField]]]
"""More of a member's stats from another part of the bot (their review cards): fields after the quiz's own."""
SAVE_TRIES = 5
"""A stop retried this often when the quiz's runner saved in between (each try reads the quiz again)."""


class QuizService:
    def __init__(
        self,
        app: App,
        clock: Clock,
        defaults: QuizDefaults | None = None,
        server_settings: SettingsService | None = None,
        study: StudyRepository | None = None,
        scheduler: Scheduler | None = None,
        uow: UnitOfWorkFactory | None = None,
        charts: ChartRenderer | None = None,
        hidden: HiddenQuestions | None = None,
    ) -> None:
        """``uow`` makes the unit of work each use case runs in (the SQL one on the app's database by default;
        fast tests pass an in-memory fake). ``charts`` draws the stats chart (tests pass one with their own
        drawer). ``hidden``: the questions a server hid, which its quizzes and questions of the day never ask (none
        without it)."""
        self.app = app
        self.clock = clock
        self.defaults = defaults or QuizDefaults()
        self.server_settings = server_settings
        self.study = study
        self.scheduler = scheduler or Scheduler(clock)
        self.charts = charts or ChartRenderer()
        self.writer = AnswerWriter(AnswerRepository(app.db), self.scheduler)
        self.uow = uow or sql_units(app.db, self.writer)
        self.hidden = hidden
        self.runner = QuizRunner(
            app.library,
            clock,
            self.uow,
            self.writer,
            self.scheduler,
            self.defaults.reveal_seconds,
            owns=app.settings.owns_guild,
        )
        self.stats_extra: StatsExtra | None = None

    @property
    def publisher(self) -> Publisher | None:
        return self.runner.publisher

    @publisher.setter
    def publisher(self, publisher: Publisher | None) -> None:
        self.runner.publisher = publisher

    def command_specs(self, module: ContentModule) -> list[CommandSpec]:
        handlers = QuizHandlers(
            start=self.start,
            stop=self.stop,
            status=self.status,
            close_daily=self.close_daily,
            leaderboard=self.leaderboard,
            stats=self.stats,
        )
        return quiz_specs(module, self.defaults.rules.question_count, handlers)

    async def leaderboard(self, caller: Caller, module: ContentModule, options: Mapping[str, OptionValue]) -> Reply:
        this_channel = options.get("scope") == "channel"
        return await boards.leaderboard(self.uow().answers, self.writer, self.clock, caller, module, this_channel)

    async def stats(self, caller: Caller, module: ContentModule, options: Mapping[str, OptionValue]) -> Reply:
        return await boards.stats(
            self.uow().answers,
            self.writer,
            self.clock,
            self.charts,
            caller,
            module,
            options.get("member"),
            self.stats_extra,
        )

    # Starting --------------------------------------------------------------------------------------

    async def start(self, caller: Caller, module: ContentModule, options: Mapping[str, OptionValue]) -> Reply:
        guild_id, channel_id = in_server(caller)
        if caller.bot_missing:
            raise InvalidInput(
                f"I can't run a quiz here: I need the {' and '.join(caller.bot_missing)} permission"
                f"{'s' if len(caller.bot_missing) > 1 else ''} in this channel. Ask an admin to allow "
                "that for my role here, or start the quiz in another channel."
            )
        base, pool = await self._rules_for(guild_id, module)
        topic = options.get("topic") or await self._study_topic(guild_id, channel_id)
        hidden = await self._hidden(guild_id, module)
        new, chosen = new_quiz(caller, module, options, base, pool, None if topic is None else str(topic), hidden)
        await self.writer.write_names()  # older names waiting must not overwrite the starter's
        async with self.uow() as uow:
            added = uow.quizzes.add(new, [q.id for q in chosen], self.clock.now_ms())
            uow.answers.remember(guild_id, caller.user_id, caller.display_name, self.clock.now_ms())
            try:
                await uow.commit()
            except ChannelBusy as busy:
                asked = await uow.quizzes.question(busy.running.id, busy.running.position)
                where = self._link(busy.running, None if asked is None else asked.message_id)
                raise ChannelBusy(busy.running, where) from None
        assert added.session is not None
        self.runner.launch(added.session.id)
        count = int(options.get("questions", base.question_count))
        short = "" if len(chosen) == count else f" (you asked for {count}; no more match your filters)"
        rules = new.rules
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
        hidden = await self._hidden(channel.guild_id, module)
        async with self.uow() as uow:
            usage = await uow.quizzes.daily_usage(channel.channel_id)
            made = new_daily(channel, module, rules, pool, usage, day, closes_ms, seed, hidden)
            if made is None:
                log.warning("no questions for the daily question in channel %d", channel.channel_id)
                return None
            new, question = made
            added = uow.quizzes.add(new, [question.id], self.clock.now_ms())
            try:
                await uow.commit()
            except AlreadyPosted:
                return None
        session = added.session
        assert session is not None
        try:
            await self.runner.step(session.id)  # posted before the tick returns: start-up shows what it owed
        except Exception:
            log.exception(
                "question of the day in channel %d: first post failed; its runner retries", channel.channel_id
            )
        if self.runner.owns(session.guild_id):
            self.runner.launch(session.id)  # else its job waits, due at its deadline, for its server's process
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
            where = join(", ", (ChannelRef(c.channel_id) for c in channels[:10]))
            raise InvalidInput(text("In this server quizzes run in the study-group channels: ", where, "."))
        return here.topic

    async def _hidden(self, guild_id: int, module: ContentModule) -> frozenset[str]:
        return frozenset() if self.hidden is None else await self.hidden(guild_id, module.id)

    async def _rules_for(self, guild_id: int, module: ContentModule) -> tuple[QuizRules, tuple[str, ...]]:
        """This server's quiz rules and topic pool (empty: every topic)."""
        if self.server_settings is None:
            return self.defaults.rules, ()
        server = await self.server_settings.effective(guild_id, module)
        return QuizRules(server.questions, server.seconds, server.points, server.speed_bonus), server.topics

    # Ending ----------------------------------------------------------------------------------------

    async def stop(self, caller: Caller, module: ContentModule, options: Mapping[str, OptionValue]) -> Reply:
        guild_id, channel_id = in_server(caller)
        session = await self.uow().quizzes.running_in_channel(channel_id)
        if session is None or session.guild_id != guild_id:
            raise NotFound(f"No quiz is running in this channel. Start one with /{module.id} quiz start.")
        quiz = await self._change(
            session.id, lambda q: q.stop(self.clock.now_ms(), caller.user_id, caller.can_manage_guild)
        )
        if quiz is not None:
            self.runner.cancel(quiz.id)
            await self.runner.post_results(quiz, stopped=True)
        return Reply(title="Quiz stopped", body="The results so far are posted in the channel.", ephemeral=True)

    async def close_daily(self, caller: Caller, module: ContentModule, options: Mapping[str, OptionValue]) -> Reply:
        """Close a question of the day now: its answer is revealed and it counts, as at the end of its window."""
        guild_id, channel_id = in_server(caller)
        if not caller.can_manage_guild:
            raise InvalidInput("Closing the question of the day early needs the Manage Server permission.")
        session = await self.uow().quizzes.running_in_channel(channel_id, QuizKind.DAILY)
        if session is None or session.guild_id != guild_id:
            raise NotFound("No question of the day is open in this channel.")
        revealing = (session.id, session.position)
        quiz = await self._change(session.id, lambda q: q.close_now(self.clock.now_ms()))
        if quiz is not None:
            self.runner.cancel(quiz.id)
            await self.runner.show_reveal(quiz, quiz.questions[revealing[1]])
            await self.runner.post_results(quiz, stopped=False)
        return Reply(
            title="Question of the day closed",
            body="The answer is revealed in the channel; answers given so far count.",
            ephemeral=True,
        )

    async def _change(self, session_id: int, rule: Callable[[Quiz], None]) -> Quiz | None:
        """Load a quiz, apply ``rule`` to it and save, again from a fresh read while its runner saves in between.

        Returns the saved quiz, or None when it had ended meanwhile.
        """
        for _ in range(SAVE_TRIES):
            async with self.uow() as uow:
                quiz = await uow.quizzes.load(session_id)
                if quiz is None or not quiz.state.running:
                    return None
                before = quiz.snapshot()
                rule(quiz)
                uow.quizzes.save(quiz, before)
                try:
                    await uow.commit()
                except StaleQuiz:
                    continue
            return quiz
        raise StaleQuiz(f"quiz {session_id} kept changing; try again")

    # Reading -----------------------------------------------------------------------------------------

    async def status(self, caller: Caller, module: ContentModule, options: Mapping[str, OptionValue]) -> Reply:
        guild_id, channel_id = in_server(caller)
        quiz = None
        uow = self.uow()
        session = await uow.quizzes.running_in_channel(channel_id)
        if session is not None and session.guild_id == guild_id:
            quiz = await uow.quizzes.load(session.id)
        if quiz is None:
            return Reply(
                title="No quiz running here",
                body=f"Start one with /{module.id} quiz start.",
                footer=module.info.disclaimer,
                ephemeral=True,
            )
        answers = await uow.answers.answers(quiz.id)
        players = len({a.user_id for a in answers})
        state = {QuizState.LOBBY: "starting", QuizState.ASKING: "asking", QuizState.REVEALING: "showing the answer"}
        current = quiz.current
        lines: list[Text] = [
            f"Question {quiz.session.position + 1} of {quiz.session.question_count}, {state.get(quiz.state, 'over')}.",
            f"{plural(players, 'player')} so far, {plural(len(answers), 'answer')}.",
            f"Message: {self._link(quiz.session, None if current is None else current.message_id)}",
        ]
        open_question = quiz.open_question
        if open_question is not None and open_question.deadline_ms:
            lines.insert(1, text("Closes ", Timestamp(open_question.deadline_ms), "."))
        return Reply(title="Quiz status", body=join("\n", lines), footer=module.info.disclaimer, ephemeral=True)

    async def open_questions(self) -> list[Reply]:
        """Questions still open in running quizzes, as posted: the console shows them again after a restart."""
        replies: list[Reply] = []
        quizzes = self.uow().quizzes
        for session in await quizzes.running():
            quiz = await quizzes.load(session.id)
            asked = None if quiz is None else quiz.open_question
            if asked is None or asked.message_id is None or (asked.deadline_ms or 0) <= self.clock.now_ms():
                continue
            reply = self.runner.question_reply(session, asked)
            if reply is not None:
                replies.append(reply)
        return replies

    async def running_kinds(self) -> tuple[int, int]:
        """How many quizzes and questions of the day are running (stored, so they go on after a restart)."""
        running = await self.uow().quizzes.running()
        daily = sum(1 for session in running if session.daily)
        return len(running) - daily, daily

    async def wait_until_over(self, channel_id: int) -> None:
        """Wait for the quiz running in a channel to end (the console's `wait`, for scripts)."""
        session = await self.uow().quizzes.running_in_channel(channel_id)
        if session is not None:
            await self.runner.wait_until_over(session.id)

    # Answering -------------------------------------------------------------------------------------

    async def answer(self, caller: Caller, session_id: int, position: int, choice: int) -> Reply:
        """A click on an answer button, checked by the quiz's rules; acknowledged to the clicker alone, after the
        answer is durable. An open question is kept in memory while it is open, so a click on it costs no read."""
        uow = self.uow()
        quiz = self.runner.open.get(session_id)
        if quiz is None or quiz.session.position != position:
            quiz = await uow.quizzes.load(session_id)
            if quiz is None:
                raise NotFound("That quiz does not exist (any more).")
        if caller.guild_id != quiz.session.guild_id:
            raise NotFound("That quiz belongs to another server.")
        asked = quiz.questions[position] if 0 <= position < len(quiz.questions) else None
        question = self.runner.question_of(quiz.session, asked)
        if question is None:
            raise NotInThisQuiz("That question is not part of this quiz.")
        try:
            answer = quiz.grade(caller.user_id, position, choice, self.clock.now_ms(), question)
        except QuestionClosed:
            earlier = await uow.answers.answer_of(session_id, position, caller.user_id)
            if earlier is not None:
                return _already(earlier.choice)
            raise
        return await self._record(caller, answer)

    async def _record(self, caller: Caller, answer: StoredAnswer) -> Reply:
        async with self.uow() as uow:
            uow.answers.add(answer, caller.display_name)
            try:
                await uow.commit()  # through the batched answer writer: acknowledged once durable
            except AlreadyAnswered as earlier:
                return _already(earlier.choice)
            except QuestionClosed:
                session = await uow.quizzes.get(answer.session_id)
                if session is None or not session.state.running:
                    raise QuizOver() from None  # stopped while the click was on its way: not in the results
                raise
        if answer.position > 0:
            self.runner.answered(answer.session_id, answer.position, answer.user_id)  # never early on the first
        return Reply(
            title=f"Locked in: {quiz_render.letter(answer.choice)}",
            body="The answer is revealed when time is up.",
            ephemeral=True,
        )

    def _link(self, session: QuizSession, message_id: int | None) -> str:
        if self.publisher is None:
            return "this channel"
        return self.publisher.link(session.guild_id, session.channel_id, message_id)


def in_server(caller: Caller) -> tuple[int, int]:
    if caller.guild_id is None or caller.channel_id is None:
        raise InvalidInput("Quizzes run in a server channel, not in direct messages.")
    return caller.guild_id, caller.channel_id


def _already(choice: int) -> Reply:
    return Reply(
        title=f"You already answered {quiz_render.letter(choice)}", body="One answer per question.", ephemeral=True
    )
