"""Parse a console line written the way Discord shows a command: ``/ketamine search query:nmda receptor``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.core.errors import InvalidInput

_OPTION = re.compile(r"(?:^|\s)([a-z][a-z0-9_-]*):")


@dataclass(frozen=True)
class ParsedCommand:
    group: str
    name: str
    options: dict[str, str] = field(default_factory=dict)


def parse_command(line: str) -> ParsedCommand:
    """Split ``/group name opt:value opt2:value with spaces`` into its parts.

    An option's value runs until the next ``name:`` so values may contain spaces, as in Discord's input.
    """
    text = line.strip()
    if not text.startswith("/"):
        raise InvalidInput("Commands start with `/`, for example `/ketamine mechanism`. Type `help` for the list.")
    first = _OPTION.search(text)
    head = text[1 : first.start()] if first else text[1:]
    words = head.split()
    if len(words) < 2:
        raise InvalidInput("Give a group and a command, for example `/ketamine mechanism`. Type `help` for the list.")
    if len(words) > 3:
        raise InvalidInput(f"Unexpected `{words[3]}`: options are written `name:value`, e.g. `query:{words[3]}`.")
    options: dict[str, str] = {}
    matches = list(_OPTION.finditer(text))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        name = match.group(1)
        if name in options:
            raise InvalidInput(f"Option `{name}` is given twice.")
        options[name] = text[match.end() : end].strip()
    return ParsedCommand(group=words[0].lower(), name=" ".join(words[1:]).lower(), options=options)
