"""Channel names in the console: `channel:#pharm-study` as Discord's picker would give, and `#pharm-study` back.

The console is one local server with no channel list, so a name is turned into an id and back without storing
anything: the name, in Discord's channel-name alphabet, is written as a number above ``NAMED``. Ids below it (a
channel typed as a number) are shown as numbers. The console's own channel, where its quizzes run, is ``#console``.
"""

from __future__ import annotations

from bot.core.errors import InvalidInput

HERE = 1
"""The console's own channel id: the one its commands are typed in."""
HERE_NAME = "console"
ALPHABET = "-0123456789abcdefghijklmnopqrstuvwxyz_"
MAX_NAME = 11
"""Names this long fit below 2**63 (SQLite's and Discord's largest id) above ``NAMED``."""
NAMED = 1 << 62


def channel_id(text: str) -> int:
    """The id of a channel typed as `#name`; raises InvalidInput with what to type for a name that cannot be one."""
    name = text.strip().removeprefix("#").lower()
    if name in {HERE_NAME, "here"}:
        return HERE
    if not name or len(name) > MAX_NAME or any(char not in ALPHABET for char in name):
        raise InvalidInput(
            f"A console channel name is 1 to {MAX_NAME} letters, digits, - or _, like `#pharm-study`; "
            f"`#{HERE_NAME}` is this one."
        )
    number = 0
    for char in name:
        number = number * (len(ALPHABET) + 1) + ALPHABET.index(char) + 1
    return NAMED + number


def channel_name(channel: int) -> str:
    """`#name` for a channel the console named, `#console` for its own, `channel N` for any other id."""
    if channel == HERE:
        return f"#{HERE_NAME}"
    if channel <= NAMED:
        return f"channel {channel}"
    number, chars = channel - NAMED, []
    while number:
        number, digit = divmod(number, len(ALPHABET) + 1)
        chars.append(ALPHABET[digit - 1])
    return "#" + "".join(reversed(chars))
