"""Neutral inline text: the words of a reply and the tokens that each adapter shows in its own way.

Services say "this member", "that channel", "this moment", "a line of small print" without knowing whether a
Discord client or a terminal will show it. The Discord adapter turns the tokens into Discord's markup, the console
into plain words; neither has to take apart markup that a service wrote.

Words (``str`` pieces) are the bot's own light markdown (``**bold**``, ``- `` lists, ``> `` quotes), which Discord
and the console's markdown renderer both understand. Text that comes from a user (a display name, a typed query)
becomes words only through ``escape`` (or ``quote`` and ``display_name``, which use it), the one place where user
text is made inert, so it shows exactly as typed on both and can neither format a message nor ping anyone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

TimeStyle = Literal["countdown", "datetime", "date"]
"""How a moment is shown: a live countdown ("in 20 seconds"), a full date and time, or a date alone."""


@dataclass(frozen=True, slots=True)
class Mention:
    """A member, shown by name where the medium can (Discord shows their current name, and never pings from
    an embed)."""

    user_id: int


@dataclass(frozen=True, slots=True)
class ChannelRef:
    """A channel of the server, shown as a link on Discord and by its name in the console."""

    channel_id: int


@dataclass(frozen=True, slots=True)
class Timestamp:
    """A moment, in milliseconds since the epoch: each reader sees it in their own time zone."""

    ms: int
    style: TimeStyle = "countdown"


@dataclass(frozen=True, slots=True)
class Small:
    """A line of small print (a hint under a value): words on a line of their own, shown smaller or dimmer."""

    text: str

    def __post_init__(self) -> None:
        if "\n" in self.text:
            raise ValueError("small print is one line")


Token = Mention | ChannelRef | Timestamp | Small
Piece = str | Token
Text = str | tuple[Piece, ...]
"""A reply's body or field value: plain words, or words and tokens in reading order."""


def text(*parts: Text | Token) -> Text:
    """Parts in a row as one Text: nested Texts are flattened, neighbouring words merged and empty words
    dropped, so that equal texts compare equal. Plain words when there is no token, which keeps a reply
    without tokens a plain string."""
    out: list[Piece] = []
    for part in parts:
        for piece in part if isinstance(part, tuple) else (part,):
            last = out[-1] if out else None
            if isinstance(piece, str) and isinstance(last, str):
                out[-1] = last + piece
            elif piece != "":
                out.append(piece)
    if all(isinstance(piece, str) for piece in out):
        return "".join(piece for piece in out if isinstance(piece, str))
    return tuple(out)


def join(separator: str, texts: Iterable[Text | Token]) -> Text:
    """``separator.join`` for Texts: lines of a list that carry channels or times."""
    parts: list[Text | Token] = []
    for item in texts:
        if parts:
            parts.append(separator)
        parts.append(item)
    return text(*parts)


def pieces(value: Text) -> tuple[Piece, ...]:
    """The pieces of a Text, for an adapter to render one by one."""
    return value if isinstance(value, tuple) else (value,)


_MARKUP = re.compile(r"([\\*_`~|<>@#:!&()\[\]-])")
"""Every character that starts markdown, a mention, a channel, a timestamp, an emoji or a heading on Discord."""
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
NAME_CHARS = 32
"""Discord's longest display name; longer names are cut before escaping, so an escape is never cut in half."""


def escape(user_text: str) -> str:
    """User text as words that show exactly as typed: each markup character backslash-escaped, which Discord
    and CommonMark (the console) both read as the character itself."""
    return _MARKUP.sub(r"\\\1", user_text)


def quote(typed: object, size: int = 50) -> str:
    """What a user typed, echoed back: one line, at most ``size`` characters, then escaped (so an escape is
    never cut in half)."""
    return escape(clip(_one_line(str(typed)), size))


def display_name(name: str) -> str:
    """A member's display name as words: one line, Discord's longest name at most, escaped; "someone" if blank."""
    return escape(_one_line(name)[:NAME_CHARS]) or "someone"


def clip(words: str, size: int) -> str:
    """Words cut to ``size`` characters, an ellipsis marking the cut."""
    return words if len(words) <= size else words[: size - 1] + "…"


def _one_line(raw: str) -> str:
    return " ".join(_CONTROL.sub(" ", raw).split())
