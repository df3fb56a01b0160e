"""Render a neutral reply for a terminal with rich: a panel with the body, fields, numbered buttons, footer."""

from __future__ import annotations

import re
from datetime import datetime

from rich.console import Group, RenderableType
from rich.markdown import Markdown
from rich.panel import Panel
from rich.text import Text

from bot.core.reply import Reply

_TIMESTAMP = re.compile(r"<t:(\d+):[RfFdDtT]>")
_MENTION = re.compile(r"<@!?(\d+)>")


def for_terminal(text: str) -> str:
    """Discord's live countdown shown as a local clock time; every line break kept, as Discord keeps them."""
    text = _TIMESTAMP.sub(lambda m: "at " + datetime.fromtimestamp(int(m.group(1))).strftime("%H:%M:%S"), text)
    text = _MENTION.sub(lambda m: f"member {m.group(1)}", text)
    return text.replace("\n", "  \n")


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
