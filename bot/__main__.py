"""Command line: ``python -m bot [run|console|check]``.

``run`` (the default) connects to Discord when ``DISCORD_TOKEN`` is set and opens the offline console
when it is not. Settings are built here, never at import.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from bot.core.content.library import ContentError, ContentLibrary
from bot.settings import Settings
from bot.storage.migrator import SchemaTooNew

log = logging.getLogger("bot")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="ketamine-study-bot: cited study content and quizzes."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = commands.add_parser("run", help="connect to Discord with DISCORD_TOKEN, or open the console without it")
    sync = run.add_mutually_exclusive_group()
    sync.add_argument("--sync", action="store_true", help="push the slash commands to Discord now")
    sync.add_argument("--no-sync", action="store_true", help="never push the slash commands at start-up")
    commands.add_parser("console", help="the offline console, even when a token is set")
    commands.add_parser("check", help="validate every content module and print what it holds")
    parser.set_defaults(command="run", sync=False, no_sync=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        for error in exc.errors():
            print(f"setting {'.'.join(str(p) for p in error['loc']).upper()}: {error['msg']}", file=sys.stderr)
        return 2
    from bot.logs import setup_logging

    setup_logging(settings.log_level)
    try:
        if args.command == "check":
            return check(settings)
        if args.command == "console" or settings.discord_token is None:
            return asyncio.run(run_console(settings))
        return asyncio.run(run_discord(settings, args.sync, args.no_sync))
    except ContentError as exc:
        print(f"Content is invalid ({len(exc.problems)} problem(s)); fix these and start again:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    except SchemaTooNew as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def check(settings: Settings) -> int:
    library = ContentLibrary.load(settings.content_dir)
    for module in library.modules.values():
        print(
            f"{module.id}: {len(module.topics)} topics, {len(module.commands)} topic commands, "
            f"{len(module.questions)} questions, {len(module.sources)} sources ({module.path})"
        )
    return 0


async def run_console(settings: Settings) -> int:
    from rich.console import Console  # imported here: the Discord bot never needs rich (about 2 MiB resident)

    from bot.console.app import ConsoleApp
    from bot.console.publisher import ConsolePublisher
    from bot.services.app import App
    from bot.services.bundle import Services
    from bot.services.clock import SystemClock

    app = await App.open(settings)
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 100)
    publisher = ConsolePublisher(console)
    services = Services.create(app, SystemClock(), publisher)
    try:
        await services.start()
        await ConsoleApp(services.router, console, publisher).run()
    finally:
        await services.stop()
        await app.close()
    return 0


async def run_discord(settings: Settings, force_sync: bool, no_sync: bool) -> int:
    import discord

    from bot.discord_app.bot import StudyBot
    from bot.discord_app.endpoints import use_local_discord
    from bot.discord_app.sync import SyncMode

    if settings.discord_api_url and settings.discord_gateway_url:
        use_local_discord(settings.discord_api_url, settings.discord_gateway_url)
    mode = SyncMode.FORCE if force_sync else SyncMode.SKIP if no_sync else SyncMode.AUTO
    assert settings.discord_token is not None
    try:
        async with StudyBot(settings, mode) as bot:
            await bot.start(settings.discord_token.get_secret_value())
    except discord.LoginFailure:
        print(
            "Discord rejected DISCORD_TOKEN. Copy the token again from the developer portal (Bot tab).", file=sys.stderr
        )
        return 1
    except discord.PrivilegedIntentsRequired:
        print("Discord refused an intent this bot asked for; see the README's set-up section.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
