"""The quiz's use cases (``service``), the runner that drives each quiz (``runner``), its commands as data
(``specs``), how a new quiz is made up (``starting``) and the leaderboards (``boards``)."""

from bot.services.quiz.service import QuizService
from bot.services.quiz.starting import QuizDefaults, quiz_defaults

__all__ = ["QuizDefaults", "QuizService", "quiz_defaults"]
