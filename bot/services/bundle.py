"""Every use case wired together once, so the Discord adapter and the console build exactly the same thing."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.app import App
from bot.services.clock import Clock
from bot.services.quiz import Publisher, QuizService, quiz_defaults
from bot.services.router import Router
from bot.services.server_settings import SettingsService, defaults_from
from bot.services.study import StudyService


@dataclass
class Services:
    app: App
    quiz: QuizService
    server_settings: SettingsService
    study: StudyService
    router: Router

    @classmethod
    def create(cls, app: App, clock: Clock, publisher: Publisher) -> Services:
        server_settings = SettingsService(app.db, clock, defaults_from(app.settings))
        study = StudyService(app.db, clock, publisher)
        quiz = QuizService(app, clock, quiz_defaults(app.settings), server_settings, study.repo)
        quiz.publisher = publisher
        router = Router(app, quiz, server_settings, study)
        return cls(app=app, quiz=quiz, server_settings=server_settings, study=study, router=router)

    async def start(self) -> None:
        """Work that resumes after a restart: running quizzes and unposted results."""
        await self.quiz.resume_all()

    async def stop(self) -> None:
        await self.quiz.shutdown()
