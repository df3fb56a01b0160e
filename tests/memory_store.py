"""An in-memory unit of work for the quiz use cases: the fast fake the service tests run against.

It keeps the same rules the database keeps (one running quiz per channel, one question of the day per channel
and day, a save only from the version it read, an answer only while its quiz asks its question and only once
per member; a save stores the questions as the quiz holds them, a withdrawn question's position replaced or gone,
and its question count), and the contract tests in ``test_quiz_store_contract.py`` run it beside SQLite and
PostgreSQL so it cannot drift from them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.core.quiz.aggregate import Quiz
from bot.core.quiz.errors import AlreadyAnswered, AlreadyPosted, ChannelBusy, QuestionClosed, StaleQuiz
from bot.core.quiz.model import AskedQuestion, QuizKind, QuizSession, StoredAnswer
from bot.core.quiz.state import QuizState
from bot.services.quiz.unit_of_work import UnitOfWorkFactory, UnitOfWorkScope
from bot.storage.repositories.answers import LeaderRow
from bot.storage.repositories.quiz import Added, StagedQuizChanges


@dataclass
class QuizData:
    """What the database would hold: shared by every unit of work made from one store."""

    sessions: dict[int, QuizSession] = field(default_factory=dict)
    questions: dict[int, list[AskedQuestion]] = field(default_factory=dict)
    answers: dict[tuple[int, int, int], StoredAnswer] = field(default_factory=dict)
    members: dict[tuple[int, int], str] = field(default_factory=dict)
    daily_posts: dict[tuple[int, str], int] = field(default_factory=dict)
    jobs_due: dict[tuple[str, int], int | None] = field(default_factory=dict)
    """When each quiz's job is next due, as saved with its moves (the SQL store writes the jobs table)."""
    next_id: int = 1


class MemoryQuizzes(StagedQuizChanges):
    def __init__(self, data: QuizData) -> None:
        super().__init__()
        self._data = data

    def flush(self) -> None:
        """All or nothing, as one transaction: every rule is checked before anything changes."""
        data = self._data
        for added in self._added:
            new = added.new
            if new.daily_day is not None and (new.channel_id, new.daily_day) in data.daily_posts:
                raise AlreadyPosted(new.channel_id, new.daily_day)
            running = self._running_in(new.channel_id, QuizKind.QUIZ)
            if new.kind is QuizKind.QUIZ and running is not None:
                raise ChannelBusy(running)
        for quiz, _ in self._saved:
            stored = data.sessions.get(quiz.id)
            if stored is None or stored.version != quiz.session.version:
                raise StaleQuiz(f"quiz {quiz.id} changed since version {quiz.session.version} was read")
        for added in self._added:
            added.session = self._insert(added)
        for quiz, _ in self._saved:
            quiz.session = quiz.session.model_copy(update={"version": quiz.session.version + 1})
            data.sessions[quiz.id] = quiz.session.model_copy(
                update={"results_message_id": data.sessions[quiz.id].results_message_id}
            )
            data.questions[quiz.id] = list(quiz.questions)
        for session_id, message_id in self._results:
            data.sessions[session_id] = data.sessions[session_id].model_copy(update={"results_message_id": message_id})
        for job in self._due:
            data.jobs_due[(job.kind, job.key)] = job.due_ms
        self.discard()

    def _insert(self, added: Added) -> QuizSession:
        data, new = self._data, added.new
        session = QuizSession(
            id=data.next_id,
            guild_id=new.guild_id,
            channel_id=new.channel_id,
            starter_id=new.starter_id,
            module=new.module,
            topic=new.topic,
            difficulty=new.difficulty,
            question_count=len(added.question_ids),
            seconds=new.rules.seconds,
            points=new.rules.points,
            speed_bonus=new.rules.speed_bonus,
            seed=new.seed,
            state=QuizState.LOBBY,
            position=0,
            created_ms=added.now_ms,
            updated_ms=added.now_ms,
            ended_ms=None,
            kind=new.kind,
            closes_ms=new.closes_ms,
        )
        data.next_id += 1
        data.sessions[session.id] = session
        data.questions[session.id] = [
            AskedQuestion(
                session_id=session.id,
                position=p,
                question_id=qid,
                message_id=None,
                asked_ms=None,
                deadline_ms=None,
                revealed_ms=None,
            )
            for p, qid in enumerate(added.question_ids)
        ]
        if new.daily_day is not None:
            data.daily_posts[(new.channel_id, new.daily_day)] = session.id
        return session

    def _running_in(self, channel_id: int, kind: QuizKind) -> QuizSession | None:
        return next(
            (
                s
                for s in self._data.sessions.values()
                if s.channel_id == channel_id and s.state.running and s.kind is kind
            ),
            None,
        )

    async def load(self, session_id: int) -> Quiz | None:
        session = self._data.sessions.get(session_id)
        return None if session is None else Quiz(session, list(self._data.questions[session_id]))

    async def get(self, session_id: int) -> QuizSession | None:
        return self._data.sessions.get(session_id)

    async def running(self) -> list[QuizSession]:
        return sorted((s for s in self._data.sessions.values() if s.state.running), key=lambda s: s.id)

    async def running_in_channel(self, channel_id: int, kind: QuizKind = QuizKind.QUIZ) -> QuizSession | None:
        return self._running_in(channel_id, kind)

    async def unannounced(self, since_ms: int) -> list[QuizSession]:
        return sorted(
            (
                s
                for s in self._data.sessions.values()
                if not s.state.running and s.results_message_id is None and (s.ended_ms or 0) >= since_ms
            ),
            key=lambda s: s.id,
        )

    async def daily_posted(self, channel_id: int, day: str) -> bool:
        return (channel_id, day) in self._data.daily_posts

    async def daily_usage(self, channel_id: int) -> dict[str, int]:
        usage: dict[str, int] = {}
        for (channel, _), session_id in self._data.daily_posts.items():
            if channel == channel_id:
                for question in self._data.questions[session_id]:
                    usage[question.question_id] = usage.get(question.question_id, 0) + 1
        return usage

    async def question(self, session_id: int, position: int) -> AskedQuestion | None:
        questions = self._data.questions.get(session_id, [])
        return questions[position] if 0 <= position < len(questions) else None

    async def asked_questions(self, session_id: int) -> list[AskedQuestion]:
        return list(self._data.questions.get(session_id, []))


class MemoryAnswers:
    def __init__(self, data: QuizData) -> None:
        self._data = data
        self.staged: list[tuple[StoredAnswer, str]] = []
        self._names: list[tuple[int, int, str]] = []

    def add(self, answer: StoredAnswer, display_name: str) -> None:
        self.staged.append((answer, display_name))

    def remember(self, guild_id: int, user_id: int, display_name: str, now_ms: int) -> None:
        self._names.append((guild_id, user_id, display_name[:100]))

    def discard(self) -> None:
        self.staged, self._names = [], []

    def flush(self) -> None:
        for guild_id, user_id, name in self._names:
            self._data.members[(guild_id, user_id)] = name
        self._names = []
        staged, self.staged = self.staged, []
        for answer, name in staged:
            self._store(answer, name)

    def _store(self, answer: StoredAnswer, name: str) -> None:
        """The answer statement's guards: its quiz asks that question now, and the member has not answered it."""
        data = self._data
        key = (answer.session_id, answer.position, answer.user_id)
        session = data.sessions.get(answer.session_id)
        questions = data.questions.get(answer.session_id, [])
        asked = questions[answer.position] if 0 <= answer.position < len(questions) else None
        if key in data.answers:
            raise AlreadyAnswered(data.answers[key].choice)
        if (
            session is None
            or session.state is not QuizState.ASKING
            or session.position != answer.position
            or asked is None
            or not asked.open
        ):
            raise QuestionClosed()
        data.answers[key] = answer
        data.members[(answer.guild_id, answer.user_id)] = name[:100]

    async def players(self, session_id: int, *, before: int | None = None, at: int | None = None) -> set[int]:
        if before is None and at is None:
            raise ValueError("give before= or at=")
        return {
            a.user_id
            for (sid, position, _), a in self._data.answers.items()
            if sid == session_id and (position < before if before is not None else position == at)
        }

    async def answer_of(self, session_id: int, position: int, user_id: int) -> StoredAnswer | None:
        return self._data.answers.get((session_id, position, user_id))

    async def answers(self, session_id: int, position: int | None = None) -> list[StoredAnswer]:
        found = [
            a for a in self._data.answers.values() if a.session_id == session_id and position in (None, a.position)
        ]
        return sorted(found, key=lambda a: (a.answered_ms, a.user_id))

    async def names(self, guild_id: int, user_ids: Sequence[int]) -> dict[int, str]:
        return {u: self._data.members[(guild_id, u)] for u in user_ids if (guild_id, u) in self._data.members}

    def _totals(self, guild_id: int, since_ms: int | None, channel_id: int | None) -> dict[int, LeaderRow]:
        rows: dict[int, LeaderRow] = {}
        for answer in self._data.answers.values():
            session = self._data.sessions.get(answer.session_id)
            if answer.guild_id != guild_id or answer.answered_ms < (since_ms or 0) or session is None:
                continue
            if channel_id is not None and session.channel_id != channel_id:
                continue
            row = rows.get(answer.user_id) or LeaderRow(
                user_id=answer.user_id,
                display_name=self._data.members.get((guild_id, answer.user_id)),
                points=0,
                answered=0,
                correct=0,
            )
            rows[answer.user_id] = row.model_copy(
                update={
                    "points": row.points + answer.points,
                    "answered": row.answered + 1,
                    "correct": row.correct + int(answer.correct),
                }
            )
        return rows

    async def leaderboard(
        self, guild_id: int, since_ms: int | None, limit: int = 10, channel_id: int | None = None
    ) -> list[LeaderRow]:
        rows = self._totals(guild_id, since_ms, channel_id).values()
        return sorted(rows, key=lambda r: (-r.points, -r.correct, r.user_id))[:limit]

    async def rank_of(
        self, guild_id: int, user_id: int, since_ms: int | None, channel_id: int | None = None
    ) -> tuple[int, LeaderRow] | None:
        ranked = await self.leaderboard(guild_id, since_ms, limit=1 << 30, channel_id=channel_id)
        return next(((n, row) for n, row in enumerate(ranked, start=1) if row.user_id == user_id), None)

    async def history(self, guild_id: int, user_id: int) -> list[StoredAnswer]:
        mine = [a for a in self._data.answers.values() if a.guild_id == guild_id and a.user_id == user_id]
        return sorted(mine, key=lambda a: (a.answered_ms, a.session_id, a.position))


class MemoryUnitOfWork(UnitOfWorkScope):
    def __init__(self, data: QuizData) -> None:
        self._quizzes = MemoryQuizzes(data)
        self._answers = MemoryAnswers(data)

    @property
    def quizzes(self) -> MemoryQuizzes:
        return self._quizzes

    @property
    def answers(self) -> MemoryAnswers:
        return self._answers

    async def commit(self) -> None:
        try:
            self._quizzes.flush()
        finally:
            self._quizzes.discard()
        self._answers.flush()

    async def rollback(self) -> None:
        self._quizzes.discard()
        self._answers.discard()


def memory_units(data: QuizData | None = None) -> UnitOfWorkFactory:
    store = data or QuizData()
    return lambda: MemoryUnitOfWork(store)
