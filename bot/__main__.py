"""Command line: ``python -m bot [run|console|check|sync|migrate|health|backup|copy-db]``; ``--help`` on each.

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
from typing import TYPE_CHECKING

from pydantic import ValidationError

from bot import admin
from bot.core.content.library import ContentError
from bot.core.errors import OperatorError
from bot.core.words import plural
from bot.discord_app.sync import SyncMode
from bot.settings import Settings
from bot.storage.processes import only_bot_process, refuse_a_slice_on_sqlite

if TYPE_CHECKING:
    from bot.discord_app.bot import StudyBot

log = logging.getLogger("bot")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="ketamine-study-bot: cited study content and quizzes."
    )
    json_help = "log one JSON object per line (for log collectors)"
    parser.add_argument("--log-json", action="store_true", help=json_help)
    # The same flag after the subcommand (`python -m bot run --log-json`); SUPPRESS keeps the one given first.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--log-json", action="store_true", default=argparse.SUPPRESS, help=json_help)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=help, description=help, parents=[common])

    run = command(
        "run",
        "connect to Discord with DISCORD_TOKEN; without it, the console on a terminal, and exit 2 in a service",
    )
    sync = run.add_mutually_exclusive_group()
    sync.add_argument("--sync", action="store_true", help="push the slash commands to Discord now")
    sync.add_argument("--no-sync", action="store_true", help="never push the slash commands at start-up")
    for sharded in (run, command("health", "exit 0 while a running bot is connected to Discord (for health checks)")):
        sharded.add_argument(
            "--shards",
            metavar="IDS",
            help="the shards this process holds, e.g. 0-3 or 0,2,5 (SHARD_IDS; needs --shard-count)",
        )
        sharded.add_argument(
            "--shard-count",
            type=_positive,
            metavar="N",
            help="how many shards the bot runs as over all its processes (SHARD_COUNT)",
        )
    command("console", "the offline console, even when a token is set")
    command("check", "validate every content module and print what it holds")
    push = command("sync", "push the slash commands to Discord now, then exit")
    push.add_argument("--guild", type=int, metavar="ID", help="to this server only (instant) instead of globally")
    command("migrate", "apply pending database migrations and print the schema version")
    backup = command("backup", "copy the database to PATH, safely while the bot runs")
    backup.add_argument(
        "path",
        metavar="PATH",
        help="a new file for the copy, or a folder (ending in /) for a copy named by the time, e.g. data/backups/",
    )
    backup.add_argument(
        "--keep", type=_positive, metavar="N", help="with a folder: keep only the newest N copies made there"
    )
    copy = command(
        "copy-db",
        "copy every row from one database into another, empty one (e.g. SQLite to PostgreSQL); stop the bot first",
    )
    copy.add_argument("source", metavar="SOURCE_URL", help="e.g. data/bot.sqlite3, or sqlite:///data/bot.sqlite3")
    copy.add_argument(
        "target", metavar="TARGET_URL", help="an empty database, e.g. postgresql://bot:password@localhost/bot"
    )
    parser.set_defaults(command=None, sync=False, no_sync=False, shards=None, shard_count=None)
    return parser


def _positive(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not {text!r}")
    return int(text)


NO_TOKEN_IN_SERVICE = (
    "DISCORD_TOKEN is empty, and `run` has no terminal to open the offline console on. Set DISCORD_TOKEN in the "
    "settings file the service reads (see deploy/.env.example), or use `python -m bot console` for the console."
)


FLAGS = {"shard_ids": "shards", "shard_count": "shard_count"}
"""Settings a command-line flag may give (setting -> argparse destination); a flag wins over the environment."""


def settings_from(args: argparse.Namespace) -> Settings:
    """The environment and ``.env``, with what the command line gave on top."""
    given = {name: getattr(args, flag) for name, flag in FLAGS.items() if getattr(args, flag) is not None}
    return Settings(**given)


def print_settings_errors(exc: ValidationError, args: argparse.Namespace) -> None:
    """One line per refused setting, named as the operator gave it (``SHARD_IDS``, or ``--shards`` if typed)."""
    for error in exc.errors():
        field = ".".join(str(p) for p in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        if not field:
            print(f"settings: {message}", file=sys.stderr)
            continue
        flag = FLAGS.get(field)
        given = flag is not None and getattr(args, flag) is not None
        name = f"--{flag.replace('_', '-')}" if given and flag is not None else field.upper()
        print(f"setting {name}: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = settings_from(args)
    except ValidationError as exc:
        print_settings_errors(exc, args)
        return 2
    from bot.logs import setup_logging

    try:
        setup_logging(settings.log_level, json_lines=args.log_json, file=settings.log_file)
        if args.command == "check":
            return admin.check(settings)
        if args.command == "health":
            return asyncio.run(admin.health(settings))
        if args.command == "migrate":
            return asyncio.run(admin.migrate(settings))
        if args.command == "backup":
            return admin.backup(settings, args.path, args.keep)
        if args.command == "copy-db":
            return admin.copy_db(args.source, args.target)
        if args.command == "sync":
            if settings.discord_token is None:
                print("sync needs DISCORD_TOKEN: it talks to Discord.", file=sys.stderr)
                return 2
            target = settings.model_copy(update={"dev_guild_id": args.guild})
            return asyncio.run(run_discord(target, SyncMode.FORCE, sync_only=True))
        if args.command == "run" and settings.discord_token is None and not sys.stdin.isatty():
            # A service (systemd, Docker) has no terminal: a console would read nothing, exit 0 and be restarted.
            raise OperatorError(NO_TOKEN_IN_SERVICE, exit_code=2)
        if args.command == "console" or settings.discord_token is None:
            return asyncio.run(run_console(settings))
        mode = SyncMode.FORCE if args.sync else SyncMode.SKIP if args.no_sync else SyncMode.AUTO
        refuse_a_slice_on_sqlite(settings)
        with only_bot_process(settings):
            return asyncio.run(run_discord(settings, mode))
    except ContentError as exc:
        print(
            f"Content is invalid ({plural(len(exc.problems), 'problem')}); fix these and start again:", file=sys.stderr
        )
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    except OperatorError as exc:
        log.debug("stopped by an operational error", exc_info=True)
        print(str(exc), file=sys.stderr)
        return exc.exit_code
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
        app_console = ConsoleApp(services.router, console, publisher)
        await app_console.show_open_questions()
        await app_console.run()
    finally:
        await services.stop()
        await app.close()
    return 0


async def run_discord(settings: Settings, mode: SyncMode, sync_only: bool = False) -> int:
    """Run the bot until Discord closes or SIGTERM/SIGINT asks it to stop (then it shuts down cleanly)."""
    import aiohttp
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
            if bot.stopped_by is not None:
                raise bot.stopped_by
    except discord.LoginFailure:
        print(
            "Discord rejected DISCORD_TOKEN. Copy the token again from the developer portal (Bot tab).", file=sys.stderr
        )
        return 1
    except (aiohttp.ClientConnectionError, discord.DiscordServerError) as exc:
        log.debug("Discord could not be reached", exc_info=True)
        print(
            f"Cannot reach Discord ({exc.__class__.__name__}: {exc}). Check this machine's network, DNS and firewall "
            "(the bot needs outbound HTTPS to discord.com), then start again.",
            file=sys.stderr,
        )
        return 1
    except discord.PrivilegedIntentsRequired:
        print("Discord refused an intent this bot asked for; see the README's set-up section.", file=sys.stderr)
        return 1
    except discord.ConnectionClosed as exc:
        if exc.code not in SHARD_REFUSALS:
            raise
        log.debug("Discord closed the gateway", exc_info=True)
        print(SHARD_REFUSALS[exc.code].format(shards=settings.shards.describe()), file=sys.stderr)
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


SHARD_REFUSALS = {
    4010: (
        "Discord refused this process's shards ({shards}): SHARD_COUNT must be the same in every process of the bot, "
        "and SHARD_IDS below it. Check both settings, or leave them unset to hold every shard in one process."
    ),
    4011: (
        "Discord requires this bot to run as more shards (it is in too many servers for {shards}). Leave SHARD_COUNT "
        "unset to use as many as Discord recommends, or raise it."
    ),
}
"""Gateway close codes about shards, as one line each (the bot cannot recover from them by reconnecting)."""


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
