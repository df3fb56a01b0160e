"""The one error handler: known problems become an ephemeral note saying what to do; anything else gets a
short error code that the user can quote and that is logged once with its traceback."""

from __future__ import annotations

import logging
import secrets

import discord
from discord import app_commands

from bot.core import render
from bot.core.errors import UserFacingError
from bot.core.reply import Reply
from bot.core.text import Text
from bot.discord_app import replies

log = logging.getLogger(__name__)


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


async def report(interaction: discord.Interaction, error: BaseException) -> None:
    """Tell the user what went wrong, without a traceback; log unexpected errors with a code."""
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
