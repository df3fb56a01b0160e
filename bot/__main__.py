"""Command line: ``python -m bot [run|console|check|sync|migrate|backup]``; ``--help`` on each.

``run`` (the default) connects to Discord when ``DISCORD_TOKEN`` is set and opens the offline console
when it is not. Settings are built here, never at import.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from bot import admin
from bot.core.content.library import ContentError
from bot.core.words import plural
from bot.discord_app.sync import SyncMode
from bot.settings import Settings
from bot.storage.database import SQLiteTooOld
from bot.storage.migrator import SchemaTooNew

if TYPE_CHECKING:
    from bot.discord_app.bot import StudyBot

log = logging.getLogger("bot")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="ketamine-study-bot: cited study content and quizzes."
    )
    parser.add_argument("--log-json", action="store_true", help="log one JSON object per line (for log collectors)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = commands.add_parser(
        "run", help="connect to Discord with DISCORD_TOKEN, or open the console without it (the default)"
    )
    sync = run.add_mutually_exclusive_group()
    sync.add_argument("--sync", action="store_true", help="push the slash commands to Discord now")
    sync.add_argument("--no-sync", action="store_true", help="never push the slash commands at start-up")
    commands.add_parser("console", help="the offline console, even when a token is set")
    commands.add_parser("check", help="validate every content module and print what it holds")
    push = commands.add_parser("sync", help="push the slash commands to Discord now, then exit")
    push.add_argument("--guild", type=int, metavar="ID", help="to this server only (instant) instead of globally")
    commands.add_parser("migrate", help="apply pending database migrations and print the schema version")
    commands.add_parser("health", help="exit 0 while a running bot is connected to Discord (for health checks)")
    backup = commands.add_parser("backup", help="copy the database to PATH, safely while the bot runs")
    backup.add_argument("path", type=Path, metavar="PATH", help="a new file for the copy")
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

    setup_logging(settings.log_level, json_lines=args.log_json, file=settings.log_file)
    try:
        if args.command == "check":
            return admin.check(settings)
        if args.command == "health":
            return asyncio.run(admin.health(settings))
        if args.command == "migrate":
            return asyncio.run(admin.migrate(settings))
        if args.command == "backup":
            return admin.backup(settings, args.path)
        if args.command == "sync":
            if settings.discord_token is None:
                print("sync needs DISCORD_TOKEN: it talks to Discord.", file=sys.stderr)
                return 2
            target = settings.model_copy(update={"dev_guild_id": args.guild})
            return asyncio.run(run_discord(target, SyncMode.FORCE, sync_only=True))
        if args.command == "console" or settings.discord_token is None:
            return asyncio.run(run_console(settings))
        mode = SyncMode.FORCE if args.sync else SyncMode.SKIP if args.no_sync else SyncMode.AUTO
        return asyncio.run(run_discord(settings, mode))
    except ContentError as exc:
        print(
            f"Content is invalid ({plural(len(exc.problems), 'problem')}); fix these and start again:", file=sys.stderr
        )
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    except (SchemaTooNew, SQLiteTooOld) as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


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


async def run_discord(settings: Settings, mode: SyncMode, sync_only: bool = False) -> int:
    """Run the bot until Discord closes or SIGTERM/SIGINT asks it to stop (then it shuts down cleanly)."""
    import discord

    from bot.discord_app.bot import StudyBot
    from bot.discord_app.endpoints import use_local_discord

    if settings.discord_api_url and settings.discord_gateway_url:
        use_local_discord(settings.discord_api_url, settings.discord_gateway_url)
    assert settings.discord_token is not None
    token = settings.discord_token.get_secret_value()
    try:
        async with StudyBot(settings, mode, sync_only=sync_only, own_process=True) as bot:
            if sync_only:
                await bot.login(token)  # login runs setup_hook, which syncs
                return 0
            await _run_until_signalled(bot, token)
    except discord.LoginFailure:
        print(
            "Discord rejected DISCORD_TOKEN. Copy the token again from the developer portal (Bot tab).", file=sys.stderr
        )
        return 1
    except discord.PrivilegedIntentsRequired:
        print("Discord refused an intent this bot asked for; see the README's set-up section.", file=sys.stderr)
        return 1
    except discord.Forbidden as exc:
        where = f"server {settings.dev_guild_id}" if settings.dev_guild_id else "this application"
        print(
            f"Discord refused to register the commands for {where} ({exc.text or exc.status}). Check that the bot "
            "was invited there with the bot and applications.commands scopes.",
            file=sys.stderr,
        )
        return 1
    return 0


async def _run_until_signalled(bot: StudyBot, token: str) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    runner = asyncio.create_task(bot.start(token), name="discord")
    stopper = asyncio.create_task(stop.wait(), name="signals")
    done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
    if runner in done:
        stopper.cancel()
        runner.result()
        return
    log.info("stop requested: finishing work in flight, then shutting down")
    with contextlib.suppress(TimeoutError):
        # A stop during start-up waits for discord.py to finish announcing servers, which it cannot do once closed.
        await asyncio.wait_for(bot.wait_until_ready(), 5)
    await bot.close()
    with contextlib.suppress(asyncio.CancelledError):
        await runner
    log.info("shut down cleanly")


if __name__ == "__main__":
    sys.exit(main())
