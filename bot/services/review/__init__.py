"""Personal spaced review: the use cases (``service``), the command (``specs``) and the cards quiz answers update
at each reveal (``quizcards``)."""

from bot.services.review.service import ReviewService

__all__ = ["ReviewService"]
