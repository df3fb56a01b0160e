"""ketamine-study-bot: cited pharmacology summaries and per-server quizzes for Discord study groups."""

__version__ = "0.1.0"
