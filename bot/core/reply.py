"""The neutral reply: what every adapter renders, to a Discord embed or to a terminal.

A reply knows nothing of Discord; buttons and menus carry an *action* string that the services layer
understands (see ``bot.core.actions``), so a click in any adapter leads to the same use case.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ButtonStyle = Literal["primary", "secondary", "success", "danger"]


class ReplyModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ReplyField(ReplyModel):
    name: str
    value: str
    inline: bool = False


class Button(ReplyModel):
    label: str
    action: str
    style: ButtonStyle = "secondary"
    disabled: bool = False


class MenuOption(ReplyModel):
    label: str
    value: str
    description: str | None = None


class Menu(ReplyModel):
    """A select menu: choosing an option runs ``action`` with the option's value."""

    action: str
    placeholder: str
    options: list[MenuOption]


class Attachment(ReplyModel):
    """A file sent with a reply (for example a data export)."""

    filename: str
    text: str


class Reply(ReplyModel):
    title: str
    body: str = ""
    fields: list[ReplyField] = Field(default_factory=list)
    footer: str = ""
    color: int | None = None
    buttons: list[Button] = Field(default_factory=list)
    menu: Menu | None = None
    ephemeral: bool = False
    is_error: bool = False
    attachment: Attachment | None = None

    def embed_length(self) -> int:
        """Characters Discord counts toward its 6000-per-message embed limit."""
        return (
            len(self.title) + len(self.body) + len(self.footer) + sum(len(f.name) + len(f.value) for f in self.fields)
        )
