"""A question hidden in a server leaves the quizzes already running there, not only those started afterwards.

Each running quiz of that server and module that holds the question and has not asked it yet stops holding it, by
the aggregate's rule (:meth:`bot.core.quiz.aggregate.Quiz.withdraw`); this module chooses what it asks instead:
another question of the module that the quiz does not hold, that is not hidden there, and that matches the quiz's
filters (its topic, or else the server's topic pool; its difficulty). With none, the position goes and the quiz has
one question fewer. A question asked or being asked is history and stays (a question of the day is asked as soon as
it is posted, so an open one keeps its question until it closes).

Each quiz is changed as the other use cases change one: loaded, changed, saved from the version it was read at,
and read again when its runner saved in between. The runner is then told, so its in-memory copy follows at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from bot.core.content.library import ContentModule
from bot.core.moderation import HiddenQuestions
from bot.core.quiz.aggregate import Quiz
from bot.core.quiz.errors import AlreadyAsked, StaleQuiz
from bot.core.quiz.model import QuizSession
from bot.core.quiz.selection import pick_questions
from bot.core.text import ChannelRef, Text, text
from bot.core.words import plural
from bot.services.quiz.runner import QuizRunner
from bot.services.server_settings import SettingsService

log = logging.getLogger(__name__)

SAVE_TRIES = 5
"""A withdrawal retried this often when the quiz's runner saved in between (each try reads the quiz again)."""


class Outcome(StrEnum):
    REPLACED = "replaced"
    """Another question is asked in its place; the quiz keeps its length."""
    DROPPED = "dropped"
    """No other question fits: its position went, the quiz has one question fewer."""
    STOPPED = "stopped"
    """The quiz had asked nothing and had nothing else to ask: it was stopped."""
    ASKED = "asked"
    """Already asked, or being asked: left as it is."""


@dataclass(frozen=True)
class Withdrawn:
    """What hiding a question did to one running quiz (or question of the day) of the server."""

    session: QuizSession
    """The session as saved (as read, for ASKED): its channel, its kind, its question count."""
    outcome: Outcome

    def sentence(self) -> Text:
        """What hiding did to this quiz, for the moderator who hid the question."""
        where = ChannelRef(self.session.channel_id)
        if self.session.daily:
            if self.outcome is Outcome.ASKED:
                return text("It is the question of the day open in ", where, ": it stays until that closes.")
            if self.outcome is Outcome.REPLACED:
                return text("The question of the day about to be posted in ", where, " asks another question.")
            return text("No other question fits the question of the day about to be posted in ", where, ": none today.")
        if self.outcome is Outcome.ASKED:
            return text(
                "It was already asked in the quiz running in ",
                where,
                ": a question asked stays as it was (its answers and scores count).",
            )
        if self.outcome is Outcome.REPLACED:
            return text("The quiz running in ", where, " asks another question in its place.")
        if self.outcome is Outcome.DROPPED:
            count = plural(self.session.question_count, "question")
            return text("The quiz running in ", where, f" had no other question for its place: it now has {count}.")
        return text("The quiz starting in ", where, " had nothing else to ask, so it was stopped.")


class QuestionWithdrawal:
    def __init__(
        self, runner: QuizRunner, hidden: HiddenQuestions, server_settings: SettingsService | None = None
    ) -> None:
        """``hidden``: the questions a server hid (none is chosen instead); ``server_settings``: the server's topic
        pool, which a quiz without a topic drew from."""
        self.runner = runner
        self.hidden = hidden
        self.server_settings = server_settings

    async def withdraw(self, guild_id: int, module: ContentModule, question_id: str) -> list[Withdrawn]:
        """Take a question just hidden in a server out of its running quizzes that have not asked it yet; what
        happened to each quiz holding it, in the order they started."""
        hidden = await self.hidden(guild_id, module.id)
        pool: tuple[str, ...] = ()
        if self.server_settings is not None:
            pool = (await self.server_settings.effective(guild_id, module)).topics
        done: list[Withdrawn] = []
        for session in await self.runner.uow().quizzes.running():
            if session.guild_id == guild_id and session.module == module.id:
                withdrawn = await self._from_quiz(session.id, module, question_id, hidden, pool)
                if withdrawn is not None:
                    done.append(withdrawn)
        return done

    async def _from_quiz(
        self, session_id: int, module: ContentModule, question_id: str, hidden: frozenset[str], pool: tuple[str, ...]
    ) -> Withdrawn | None:
        for _ in range(SAVE_TRIES):
            async with self.runner.uow() as uow:
                quiz = await uow.quizzes.load(session_id)
                if quiz is None or not quiz.state.running or not quiz.holds(question_id):
                    return None
                before = quiz.snapshot()
                try:
                    outcome = self._withdraw(quiz, module, question_id, hidden, pool)
                except AlreadyAsked:
                    return Withdrawn(quiz.session, Outcome.ASKED)
                uow.quizzes.save(quiz, before)
                try:
                    await uow.commit()
                except StaleQuiz:
                    continue
            log.info("quiz %d: hidden question %s %s", quiz.id, question_id, outcome.value)
            await self.runner.changed(quiz)
            return Withdrawn(quiz.session, outcome)
        raise StaleQuiz(f"quiz {session_id} kept changing; hide the question again to take it out of that quiz")

    def _withdraw(
        self, quiz: Quiz, module: ContentModule, question_id: str, hidden: frozenset[str], pool: tuple[str, ...]
    ) -> Outcome:
        """Every position not asked yet that holds the question (a quiz holds each question once, so one)."""
        outcome = Outcome.REPLACED
        now = self.runner.clock.now_ms()
        while True:
            replacement = replacement_for(quiz, module, hidden, pool)
            quiz.withdraw(question_id, replacement, now)
            if not quiz.state.running:
                return Outcome.STOPPED
            if replacement is None:
                outcome = Outcome.DROPPED
            if not quiz.waiting(question_id):
                return outcome


def replacement_for(quiz: Quiz, module: ContentModule, hidden: frozenset[str], pool: tuple[str, ...]) -> str | None:
    """A question of the module the quiz does not hold, not hidden, matching the quiz's filters (as a new quiz's
    questions are chosen: its topic, or else the server's topic pool; its difficulty); chosen by the quiz's seed.
    None when no question fits."""
    session = quiz.session
    held = {q.question_id for q in quiz.questions}
    bank = [
        q
        for q in module.questions
        if q.id not in held
        and q.id not in hidden
        and (q.topic == session.topic if session.topic else (not pool or q.topic in pool))
        and (session.difficulty is None or q.difficulty == session.difficulty)
    ]
    if not bank:
        return None
    (chosen,) = pick_questions(bank, 1, session.seed)
    return chosen.id
