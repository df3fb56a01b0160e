"""Errors a user or an admin can act on. Each carries a message that says what was wrong and what to do."""

from __future__ import annotations

from bot.core.text import Text, pieces


class UserFacingError(Exception):
    """An expected problem with what a user asked for; its message is shown to them as is.

    The message is ``Text``, so that it can name a channel or a member the way each adapter shows one; the
    exception's own string (for logs) is its pieces in a row.
    """

    def __init__(self, message: Text) -> None:
        super().__init__("".join(map(str, pieces(message))))
        self.message = message


class NotFound(UserFacingError):
    """The thing a user named (topic, module, page, button) does not exist or no longer exists."""


class InvalidInput(UserFacingError):
    """An option value out of range or malformed."""


class OperatorError(Exception):
    """A problem the person running the bot can fix (a setting, a file, the network), said in one line.

    The command line prints the message alone and exits with ``exit_code``: no traceback for an operator to read
    through (it goes to the log at debug level).
    """

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code
