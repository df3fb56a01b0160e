"""Neutral text as Discord markup: the one place that writes ``<@id>``, ``<#id>``, ``<t:seconds:style>`` and ``-# ``.

Words pass through unchanged: they are already Discord's markdown, and any user text in them was escaped in
core when it became words (``bot.core.text.escape``), so nothing here guesses what to escape.
"""

from __future__ import annotations

from typing import assert_never

from bot.core.text import ChannelRef, Mention, Small, Text, Timestamp, TimeStyle, pieces

TIME_STYLES: dict[TimeStyle, str] = {"countdown": "R", "datetime": "F", "date": "D"}
"""Discord's timestamp styles: R "in 20 seconds" (live), F "Friday, 27 November 2026 14:05", D "27 November 2026"."""


def markup(text: Text) -> str:
    """A Text as Discord shows it. Small print goes on a line of its own (``-# `` works only at a line's start)."""
    out: list[str] = []
    line_start = True
    after_small = False
    for piece in pieces(text):
        if isinstance(piece, Small):
            words = ("" if line_start else "\n") + f"-# {piece.text}"
            after_small = True
        else:
            words = _token(piece)
            if not words:
                continue
            if after_small and not words.startswith("\n"):
                words = "\n" + words
            after_small = False
        out.append(words)
        line_start = words.endswith("\n")
    return "".join(out)


def _token(piece: str | Mention | ChannelRef | Timestamp) -> str:
    match piece:
        case Mention(user_id=user_id):
            return f"<@{user_id}>"
        case ChannelRef(channel_id=channel_id):
            return f"<#{channel_id}>"
        case Timestamp(ms=ms, style=style):
            return f"<t:{ms // 1000}:{TIME_STYLES[style]}>"
        case str():
            return piece
    assert_never(piece)
