"""Render a neutral reply for a terminal with rich: a panel with the body, fields, numbered buttons, footer."""

from __future__ import annotations

import re
from datetime import datetime

from rich.console import Group, RenderableType
from rich.markdown import Markdown
from rich.panel import Panel
from rich.text import Text

from bot.console.channels import channel_name
from bot.core.reply import Reply

_TIMESTAMP = re.compile(r"<t:(\d+):([RfFdDtT])>")
_DATED = {"f": "{day} %B %Y, %H:%M %Z", "F": "%A {day} %B %Y, %H:%M %Z", "d": "{day} %b %Y", "D": "{day} %B %Y"}
"""Discord's dated styles as local clock text ("Tuesday 3 June 2025, 14:05 CEST"); the time-only styles (R, t,
T) read "at HH:MM:SS". The day is put in by hand: strftime has no portable unpadded day."""
_MENTION = re.compile(r"<@!?(\d+)>")
_CHANNEL = re.compile(r"<#(\d+)>")
_SUBTEXT = re.compile(r"^-# ", flags=re.MULTILINE)


def for_terminal(text: str) -> str:
    """Discord markup in plain words: times (a countdown as a time, a dated style with its date and zone),
    members, channels, small print; every line break kept, as Discord keeps them."""
    text = _TIMESTAMP.sub(_local_time, text)
    text = _MENTION.sub(lambda m: f"member {m.group(1)}", text)
    text = _CHANNEL.sub(lambda m: channel_name(int(m.group(1))), text)
    text = _SUBTEXT.sub("", text)
    return text.replace("\n", "  \n")


def _local_time(match: re.Match[str]) -> str:
    when = datetime.fromtimestamp(int(match.group(1))).astimezone()
    style = _DATED.get(match.group(2))
    return when.strftime(style.format(day=when.day)) if style else "at " + when.strftime("%H:%M:%S")


def render_reply(reply: Reply) -> RenderableType:
    parts: list[RenderableType] = []
    if reply.body:
        parts.append(Markdown(for_terminal(reply.body)))
    for field in reply.fields:
        parts.append(Text(""))
        parts.append(Text(field.name, style="bold cyan"))
        parts.append(Markdown(for_terminal(field.value)))
    if reply.menu is not None:
        parts.append(Text(""))
        parts.append(Text(f"{reply.menu.placeholder} (type `pick N`)", style="bold"))
        for number, option in enumerate(reply.menu.options, start=1):
            extra = f" · {option.description}" if option.description else ""
            parts.append(Text(f"  {number}. {option.label}{extra}"))
    if reply.buttons:
        parts.append(Text(""))
        labels = [
            f"[{n}] {b.label}" + (" (disabled)" if b.disabled else "") for n, b in enumerate(reply.buttons, start=1)
        ]
        parts.append(Text("   ".join(labels) + "   (type `press N`)", style="bold"))
    style = "red" if reply.is_error else "green"
    title = reply.title + (" (only you can see this)" if reply.ephemeral and not reply.is_error else "")
    return Panel(
        Group(*parts),
        title=Text(title, style=f"bold {style}"),
        title_align="left",
        subtitle=Text(reply.footer, style="dim") if reply.footer else None,
        subtitle_align="left",
        border_style=style,
    )
