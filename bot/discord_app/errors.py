"""The one error handler: known problems become an ephemeral note saying what to do; anything else gets a
short error code that the user can quote and that is logged once with its traceback."""

from __future__ import annotations

import logging
import secrets
import time

import discord
from discord import app_commands

from bot.core import render
from bot.core.errors import UserFacingError
from bot.core.reply import Reply
from bot.core.text import Text
from bot.discord_app import replies

log = logging.getLogger(__name__)
UNKNOWN_INTERACTION = 10062
"""Discord's code for a reply to an interaction it no longer accepts: more than 3 s passed before the first reply."""
EXPIRED_SUMMARY_SECONDS = 60.0
"""After the first expired interaction is logged, the rest are logged as one count per this many seconds."""


class ExpiredInteractions:
    """Replies that reached Discord after its 3-second window: the machine is too busy (or was paused).

    Nothing can be said to the member any more (the interaction's token is dead), and it is not a bug, so each one
    is not an error with a traceback: the first is logged as a warning saying what it means, then one count a
    minute, so an overloaded bot does not also drown its log.
    """

    def __init__(self) -> None:
        self._unlogged = 0
        self._logged_at: float | None = None

    def record(self, interaction: discord.Interaction) -> None:
        now = time.monotonic()
        if self._logged_at is not None and now - self._logged_at < EXPIRED_SUMMARY_SECONDS:
            self._unlogged += 1
            return
        age_ms = (discord.utils.utcnow() - interaction.created_at).total_seconds() * 1000
        more = f" ({self._unlogged} more since the last of these lines)" if self._unlogged else ""
        log.warning(
            "an interaction expired before its reply reached Discord (%.0f ms after Discord sent it; 3000 allowed)%s: "
            'the member saw "This interaction failed". The bot is too busy for its load: see the README on '
            "scaling out",
            age_ms,
            more,
        )
        self._logged_at, self._unlogged = now, 0


def is_expired(error: BaseException) -> bool:
    """Whether ``error`` is Discord refusing a reply because the interaction's 3 s had passed."""
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    return isinstance(error, discord.NotFound) and error.code == UNKNOWN_INTERACTION


def error_code() -> str:
    return "E-" + secrets.token_hex(3).upper()


def message_for(error: BaseException) -> Text | None:
    """The user-facing text for an expected error, or None when the error is a bug."""
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    if isinstance(error, UserFacingError):
        return error.message
    if isinstance(error, app_commands.NoPrivateMessage):
        return "That command works only in a server, not in direct messages."
    if isinstance(error, app_commands.MissingPermissions):
        return f"You need the {', '.join(error.missing_permissions)} permission for that."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down: try again in {error.retry_after:.0f} s."
    if isinstance(error, app_commands.TransformerError):
        if error.type is discord.AppCommandOptionType.channel:
            return "Pick a text channel of this server."
        if error.type is discord.AppCommandOptionType.user:
            return "Pick a member of this server."
        return f"“{render.quote(error.value)}” is not a valid value for that option."
    if isinstance(error, app_commands.CommandNotFound):
        return "That command is gone or has changed. Wait a minute for Discord to refresh the command list."
    if isinstance(error, app_commands.CheckFailure):
        return "You cannot use that command here."
    return None


async def report(interaction: discord.Interaction, error: BaseException, expired: ExpiredInteractions) -> None:
    """Tell the user what went wrong, without a traceback; log unexpected errors with a code."""
    if is_expired(error):
        expired.record(interaction)
        return
    text = message_for(error)
    if text is None:
        code = error_code()
        command = interaction.command.qualified_name if interaction.command else interaction.data
        log.error("unexpected error %s in %s", code, command, exc_info=error)
        text = f"Something went wrong on our side (error `{code}`). Please try again; if it keeps happening, tell the bot's host this code."
    reply: Reply = render.error(text)
    try:
        await replies.send(interaction, reply)
    except discord.HTTPException:
        log.warning("could not deliver an error message for interaction %s", interaction.id, exc_info=True)
