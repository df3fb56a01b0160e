"""Render a neutral reply for a terminal with rich: a panel with the body, fields, numbered buttons, footer.

A reply's words are the bot's light markdown with user text already escaped in core, so they go through a
markdown renderer here as they do on Discord. Tokens become plain words: a member by name (or "member N"), a
channel as ``#name`` or ``channel N``, a time on the local clock, small print dimmed. Nothing is parsed back
out of Discord markup: services never write any.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from markdown_it import MarkdownIt
from rich.console import Group, RenderableType
from rich.markdown import Markdown
from rich.panel import Panel
from rich.text import Text as Styled

from bot.console.channels import channel_name
from bot.core.reply import Reply
from bot.core.text import ChannelRef, Mention, Small, Text, Timestamp, TimeStyle, escape, pieces

NO_NAMES: Mapping[int, str] = {}
_DATED: dict[TimeStyle, str] = {"datetime": "%A {day} %B %Y, %H:%M %Z", "date": "{day} %B %Y"}
"""Dated styles on the local clock ("Friday 27 November 2026, 14:05 UTC"); a countdown reads "at HH:MM:SS".
The day is put in by hand: strftime has no portable unpadded day."""
_INLINE = MarkdownIt("commonmark")
_INLINE_STYLES = {"strong_open": "bold", "em_open": "italic", "code_inline": "bold", "s_open": "strike"}


def local_time(moment: Timestamp) -> str:
    """A moment on this machine's clock: a terminal cannot count down, so a countdown shows when it ends."""
    when = datetime.fromtimestamp(moment.ms // 1000).astimezone()
    if moment.style == "countdown":
        return "at " + when.strftime("%H:%M:%S")
    return when.strftime(_DATED[moment.style].format(day=when.day))


def token_words(token: Mention | ChannelRef | Timestamp, names: Mapping[int, str] = NO_NAMES) -> str:
    """A token in plain words: the member's known name or "member N", ``#name`` or ``channel N``, a local time."""
    if isinstance(token, Mention):
        return names.get(token.user_id) or f"member {token.user_id}"
    if isinstance(token, ChannelRef):
        return channel_name(token.channel_id)
    return local_time(token)


def render_text(text: Text, names: Mapping[int, str] = NO_NAMES, style: str = "none") -> RenderableType:
    """A body, a field value or an error message for the terminal: words as markdown with every line break
    kept (as Discord keeps them), tokens in plain words (escaped, so that a name or ``#channel`` stays
    literal), each line of small print as a dim paragraph of its own."""
    blocks: list[RenderableType] = []
    run: list[str] = []

    def close_run() -> None:
        source = "".join(run)
        if source.strip():
            blocks.append(Markdown(source.replace("\n", "  \n"), style=style))
        run.clear()

    for piece in pieces(text):
        if isinstance(piece, Small):
            close_run()
            blocks.append(Markdown(piece.text, style="dim" if style == "none" else f"{style} dim"))
        else:
            run.append(piece if isinstance(piece, str) else escape(token_words(piece, names)))
    close_run()
    return blocks[0] if len(blocks) == 1 else Group(*blocks)


def inline(words: str, style: str = "") -> Styled:
    """A title or a field name: one line of the bot's markdown as styled terminal text. It is read by a
    markdown parser, as Discord reads it, so an escaped name shows exactly as its member wrote it."""
    out = Styled(style=style)
    open_styles: list[str] = []
    for block in _INLINE.parseInline(words):
        for token in block.children or []:
            if token.type.endswith("_open"):
                open_styles.append(_INLINE_STYLES.get(token.type, ""))
            elif token.type.endswith("_close"):
                del open_styles[-1:]
            elif token.type in {"softbreak", "hardbreak"}:
                out.append(" ")
            else:
                extra = _INLINE_STYLES.get(token.type, "")
                out.append(token.content, style=" ".join(s for s in [*open_styles, extra] if s) or None)
    return out


def render_reply(reply: Reply, names: Mapping[int, str] = NO_NAMES) -> RenderableType:
    """The whole reply as a panel; ``names`` are members the console knows by name (its own user)."""
    parts: list[RenderableType] = []
    if reply.body:
        parts.append(render_text(reply.body, names))
    for field in reply.fields:
        parts.append(Styled(""))
        parts.append(inline(field.name, style="bold cyan"))
        parts.append(render_text(field.value, names))
    if reply.menu is not None:
        parts.append(Styled(""))
        parts.append(Styled(f"{reply.menu.placeholder} (type `pick N`)", style="bold"))
        for number, option in enumerate(reply.menu.options, start=1):
            extra = f" · {option.description}" if option.description else ""
            parts.append(Styled(f"  {number}. {option.label}{extra}"))
    if reply.buttons:
        parts.append(Styled(""))
        labels = [
            f"[{n}] {b.label}" + (" (disabled)" if b.disabled else "") for n, b in enumerate(reply.buttons, start=1)
        ]
        parts.append(Styled("   ".join(labels) + "   (type `press N`)", style="bold"))
    style = "red" if reply.is_error else "green"
    title = inline(reply.title, style=f"bold {style}")
    if reply.ephemeral and not reply.is_error:
        title.append(" (only you can see this)")
    return Panel(
        Group(*parts),
        title=title,
        title_align="left",
        subtitle=Styled(reply.footer, style="dim") if reply.footer else None,
        subtitle_align="left",
        border_style=style,
    )
