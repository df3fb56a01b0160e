"""The neutral reply: what every adapter renders, to a Discord embed or to a terminal.

A reply knows nothing of Discord; buttons, menus and forms carry an *action* string that the services layer
understands (see ``bot.core.actions``), so a click in any adapter leads to the same use case. A body and a field
value are ``Text`` (``bot.core.text``): words, or words with members, channels, times and small print that each
adapter renders for its medium. A title and a field name are words (the bot's light markdown); a footer, button
and menu labels are plain words, as Discord shows them without formatting.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from bot.core import limits
from bot.core.text import Text, text

ButtonStyle = Literal["primary", "secondary", "success", "danger"]


class ReplyModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ReplyField(ReplyModel):
    name: str
    value: Text
    inline: bool = False

    @field_validator("value")
    @classmethod
    def _normal(cls, value: Text) -> Text:
        return text(value)


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


class Form(ReplyModel):
    """A request for one piece of text (a modal on Discord, a prompt in the console): submitting it runs ``action``
    with what was typed. A reply that carries a form is shown as that form, titled with the reply's title, instead of
    a message: pressing a "Report a problem" button answers with one.

    The form's rules (lengths) are shown to the user; the use case behind ``action`` checks the text again, since a
    submission may come from anywhere.
    """

    action: str
    label: str = Field(max_length=limits.TEXT_INPUT_LABEL)
    placeholder: str = Field(default="", max_length=limits.TEXT_INPUT_PLACEHOLDER)
    min_length: int = Field(default=1, ge=0, le=limits.TEXT_INPUT_VALUE)
    max_length: int = Field(default=1000, ge=1, le=limits.TEXT_INPUT_VALUE)
    long: bool = True
    """Several lines (a paragraph box) rather than one."""


class Attachment(ReplyModel):
    """A file sent with a reply: text (a data export) or bytes (a PNG chart).

    ``image``: the file is a picture that belongs in the reply itself. Discord shows it as the embed's image; an
    adapter that cannot show pictures saves it like any other file and says where.
    """

    filename: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,100}$")]
    """Letters, digits, ``_``, ``-`` and ``.`` only: Discord's ``attachment://`` references need a plain name."""
    text: str = ""
    data: bytes | None = None
    image: bool = False

    @model_validator(mode="after")
    def _one_content(self) -> Attachment:
        if self.data is not None and self.text:
            raise ValueError("an attachment holds text or bytes, not both")
        if self.image and self.data is None:
            raise ValueError("an image attachment holds bytes")
        return self

    @property
    def content(self) -> bytes:
        """The file's bytes (text as UTF-8)."""
        return self.data if self.data is not None else self.text.encode("utf-8")


class Reply(ReplyModel):
    title: str
    body: Text = ""
    fields: list[ReplyField] = Field(default_factory=list)
    footer: str = ""
    color: int | None = None
    buttons: list[Button] = Field(default_factory=list)
    menu: Menu | None = None
    ephemeral: bool = False
    is_error: bool = False
    attachment: Attachment | None = None
    separate: bool = False
    """A reply to a click shown as a message of its own, the clicked message left as it was: "Read more" opens a
    topic page beside a quiz reveal everyone sees, or beside a review card that must stay open to go on."""
    form: Form | None = None
    """Show this form instead of a message (see ``Form``)."""

    @field_validator("body")
    @classmethod
    def _normal(cls, body: Text) -> Text:
        """One form for one text (neighbouring words merged, plain words as a string): equal replies compare
        equal, which the console relies on to skip printing an unchanged edit."""
        return text(body)
