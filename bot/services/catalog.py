"""The command catalogue: every command, its options and their limits, described once as data.

The Discord adapter turns each spec into an application command, the console into its help and parser,
so both always offer the same commands with the same rules.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from bot.core.reply import Reply

if TYPE_CHECKING:
    from bot.core.content.library import ContentModule

OptionValue = str | int
"""An option's value once the router has checked it (users and channels are ids)."""
OptionKind = Literal["string", "integer", "user", "channel"]
"""``user`` and ``channel`` are picked in Discord; their value is the id (a mention or digits in the console)."""

ADMIN_SUFFIX = "-admin"
"""The admin commands of module ``ketamine`` form their own top-level command, ``/ketamine-admin``: Discord applies
a default permission (Manage Server) and DM availability only to top-level commands, so only there are they hidden
from members who cannot use them. The services check the permission on every call all the same."""


def admin_group(module_id: str) -> str:
    return module_id + ADMIN_SUFFIX


SUBGROUP_DESCRIPTIONS = {
    "quiz": "Quizzes in this channel: start, stop, status",
    "settings": "This server's quiz settings: show, set, history",
    "studygroup": "Study-group channels: add, remove, list",
    "privacy": "Your data: export it, delete it, or choose to be named in tutor exports",
    "reports": "Members' reports on quiz questions: list, resolve, dismiss",
    "question": "Hide a quiz question from this server, or show it again",
}


Handler = Callable[["Caller", "ContentModule", Mapping[str, OptionValue]], Awaitable[Reply]]


@dataclass(frozen=True)
class Caller:
    """Who runs a command, and where: enough for the services to decide, nothing adapter-specific."""

    user_id: int
    display_name: str = "you"
    guild_id: int | None = None
    channel_id: int | None = None
    can_manage_guild: bool = False
    bot_missing: tuple[str, ...] = ()
    """Permissions the bot lacks in this channel to post there (named as Discord shows them), for use cases
    that post later: a quiz refuses to start rather than announce itself and then fall silent."""


@dataclass(frozen=True)
class OptionSpec:
    name: str
    description: str
    kind: OptionKind = "string"
    required: bool = False
    choices: tuple[str, ...] = ()
    min_length: int | None = None
    max_length: int | None = None
    min_value: int | None = None
    max_value: int | None = None
    autocomplete: bool = False

    def usage(self) -> str:
        shown = "|".join(self.choices) if self.choices else self.kind
        return f"{self.name}:<{shown}>" if self.required else f"[{self.name}:<{shown}>]"


@dataclass(frozen=True)
class CommandSpec:
    """One command. ``name`` may hold a subgroup and a subcommand (``"quiz start"``), as Discord nests them."""

    group: str
    name: str
    description: str
    options: tuple[OptionSpec, ...] = field(default=())
    guild_only: bool = False
    handler: Handler | None = field(default=None, compare=False, repr=False)
    """The use case that runs the command: the router calls it with the caller, the module and checked options."""

    @property
    def module(self) -> str:
        """The content module the command belongs to (its group, or the group of its admin commands)."""
        return self.group.removesuffix(ADMIN_SUFFIX)

    @property
    def admin(self) -> bool:
        return self.group.endswith(ADMIN_SUFFIX)

    @property
    def path(self) -> str:
        return f"/{self.group} {self.name}"

    def option(self, name: str) -> OptionSpec | None:
        return next((o for o in self.options if o.name == name), None)

    def usage(self) -> str:
        return " ".join([self.path, *(o.usage() for o in self.options)])
