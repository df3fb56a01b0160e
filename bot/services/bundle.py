"""Every use case wired together once, so the Discord adapter and the console build exactly the same thing."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.app import App
from bot.services.charts import ChartRenderer
from bot.services.clock import Clock
from bot.services.daily import DailyService
from bot.services.jobs import JobWorker
from bot.services.leader import Duty, Leadership
from bot.services.moderation import ModerationService
from bot.services.privacy import PrivacyService
from bot.services.publisher import Publisher
from bot.services.quiz import QuizService, quiz_defaults
from bot.services.quiz.claims import QuizJobs
from bot.services.quiz.unit_of_work import UnitOfWorkFactory
from bot.services.quiz.withdrawal import QuestionWithdrawal
from bot.services.review import ReviewService
from bot.services.router import Router
from bot.services.scheduler import Scheduler
from bot.services.server_settings import SettingsService, defaults_from
from bot.services.shard_guard import ShardGuard
from bot.services.study import StudyService
from bot.services.tutor import TutorService
from bot.storage.coordination import coordination_for, shard_locks_for
from bot.storage.repositories.jobs import JobRepository


@dataclass
class Services:
    app: App
    quiz: QuizService
    server_settings: SettingsService
    study: StudyService
    daily: DailyService
    privacy: PrivacyService
    review: ReviewService
    moderation: ModerationService
    tutor: TutorService
    router: Router
    jobs: JobWorker
    """Due work shared with the other processes on the database (quiz moves, the question-of-the-day schedule)."""
    leader: Leadership
    """Work one process at a time does (retention; the Discord adapter adds the command sync)."""
    shard_guard: ShardGuard
    """The locks of this process's shards (PostgreSQL), which the Discord adapter takes before it connects."""

    @classmethod
    def create(
        cls,
        app: App,
        clock: Clock,
        publisher: Publisher,
        quiz_units: UnitOfWorkFactory | None = None,
        charts: ChartRenderer | None = None,
    ) -> Services:
        """Wire every use case. ``quiz_units`` makes the quiz's units of work (the SQL ones by default; fast tests
        pass the in-memory fake); ``charts`` draws charts (matplotlib in a worker thread by default; tests may
        give it a drawer of their own)."""
        settings = app.settings
        scheduler = Scheduler(clock)
        signal, lock = coordination_for(settings, app.db)
        jobs = JobWorker(
            JobRepository(app.db),
            signal,
            clock,
            scheduler,
            lease_ms=int(settings.job_lease_seconds * 1000),
            poll_ms=int(settings.job_poll_seconds * 1000),
            owns=settings.owns_guild,
        )
        server_settings = SettingsService(app.db, clock, defaults_from(settings))
        study = StudyService(app.db, clock, publisher)
        moderation = ModerationService(app.library, app.db, clock)
        quiz = QuizService(
            app,
            clock,
            quiz_defaults(settings),
            server_settings,
            study.repo,
            scheduler,
            quiz_units,
            charts,
            hidden=moderation.hidden_questions,
        )
        quiz.publisher = publisher
        QuizJobs(quiz.runner, jobs)
        moderation.withdraw = QuestionWithdrawal(quiz.runner, moderation.hidden_questions, server_settings).withdraw
        privacy = PrivacyService(app.db, clock, settings.data_retention_days, scheduler, owns=settings.owns_guild)
        review = ReviewService(app, clock, scheduler, server_settings)
        quiz.runner.revealed = review.quiz_cards.revealed  # each reveal's answers update their members' cards
        quiz.stats_extra = review.stats_fields
        review.hidden = moderation.hidden_questions
        tutor = TutorService(app.db, clock)
        router = Router(app, quiz, server_settings, study, privacy, review, moderation, tutor)
        daily = DailyService(app, clock, quiz, server_settings, study.repo, jobs)
        study.changed.append(daily.look_soon)
        server_settings.changed.append(daily.look_soon)
        leader = Leadership(lock, scheduler, clock, retry_ms=jobs.poll_ms)
        leader.add(Duty("retention", privacy.start, privacy.stop))
        return cls(
            app=app,
            quiz=quiz,
            server_settings=server_settings,
            study=study,
            daily=daily,
            privacy=privacy,
            review=review,
            moderation=moderation,
            tutor=tutor,
            router=router,
            jobs=jobs,
            leader=leader,
            shard_guard=ShardGuard(shard_locks_for(settings), scheduler, clock, check_ms=jobs.poll_ms),
        )

    async def start(self) -> None:
        """Work that resumes after a restart: this process's running quizzes and unposted results, the daily
        schedule, the shared jobs, the leader's duties if this process leads, and quiz answers revealed but not
        yet applied to review cards."""
        await self.quiz.runner.resume_all()
        await self.daily.start()
        await self.jobs.start()
        await self.leader.start()
        await self.review.start()

    async def stop(self) -> None:
        await self.review.stop()
        await self.leader.stop()
        await self.quiz.runner.shutdown()
        await self.jobs.stop()  # lets go of every job this process held: the others need not wait for the leases
        await self.shard_guard.stop()  # last: its shards are free for another process once nothing here works on them
        await self.quiz.scheduler.cancel_all()  # nothing may outlive the services
