"""``/ketamine help``: every command the member can use, grouped by what it is for, built from the catalogue
itself so it can never list a command that does not exist or miss one that does.

Admin commands live under their own top-level command (``/ketamine-admin``), which Discord hides from members
without Manage Server; the help lists them only for members who can use them, and says where they are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from bot.core import render
from bot.core.content.library import ContentModule
from bot.core.reply import Reply
from bot.services.catalog import Caller, CommandSpec, OptionValue, admin_group

HELP = "help"

STUDY = "Study the topics"
ADMIN = "For admins (Manage Server)"
SECTIONS: tuple[tuple[str, frozenset[str]], ...] = (
    ("Quizzes", frozenset({"quiz", "leaderboard", "stats"})),
    ("Spaced review", frozenset({"review"})),
    ("Server settings and study groups", frozenset({"settings", "studygroup"})),
    ("Your data", frozenset({"privacy"})),
)
"""Which section a command goes in, by the first word of its name; any other member command is a study one."""

INTRO = (
    "Every reply is for education only, not medical advice. Options are picked in Discord's command box: "
    "<these> are needed, [these] are optional. Buttons keep working after the bot restarts."
)


def section_of(spec: CommandSpec) -> str:
    if spec.admin:
        return ADMIN
    first = spec.name.split(" ", 1)[0]
    return next((title for title, words in SECTIONS if first in words), STUDY)


def brief(spec: CommandSpec) -> str:
    """The command and its options, short: ``/ketamine search <query>``, ``/ketamine stats [member]``."""
    options = [f"<{o.name}>" if o.required else f"[{o.name}]" for o in spec.options]
    return "`" + " ".join([spec.path, *options]) + "`"


def help_reply(module: ContentModule, specs: Sequence[CommandSpec], caller: Caller) -> Reply:
    sections: dict[str, list[str]] = {title: [] for title in (STUDY, *(t for t, _ in SECTIONS), ADMIN)}
    for spec in specs:
        if spec.name == HELP or (spec.admin and not caller.can_manage_guild):
            continue
        where = " (in a server)" if spec.guild_only and caller.guild_id is None else ""
        sections[section_of(spec)].append(f"- {brief(spec)} – {spec.description}{where}")
    parts = [INTRO]
    parts += [f"**{title}**\n" + "\n".join(lines) for title, lines in sections.items() if lines]
    if not caller.can_manage_guild:
        parts.append(
            f"Server admins (Manage Server) also have `/{admin_group(module.id)}`: settings, study groups, "
            "reports, hidden questions and exports."
        )
    return Reply(
        title=f"{module.info.name}: commands",
        body="\n\n".join(parts),
        footer=render.footer(module),
        ephemeral=True,
    )


def help_spec(module: ContentModule, specs: Callable[[], Sequence[CommandSpec]]) -> CommandSpec:
    """The help command of one module; ``specs`` gives every command of the module when it is asked."""

    async def show_help(caller: Caller, module: ContentModule, options: Mapping[str, OptionValue]) -> Reply:
        return help_reply(module, specs(), caller)

    return CommandSpec(module.id, HELP, "Every command you can use here, grouped by what it is for", handler=show_help)
