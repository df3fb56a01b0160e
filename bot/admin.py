"""Admin commands of the CLI that need no running bot: check content, migrate, back up, copy the database."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bot.core.content.library import ContentLibrary
from bot.core.content.lint import lint
from bot.core.errors import OperatorError
from bot.core.shards import ShardPlan, describe_ids
from bot.core.words import noun, plural
from bot.services.facts import InstallationFacts
from bot.settings import Settings
from bot.storage import urls
from bot.storage.connect import open_database, open_location
from bot.storage.copy import copy_database
from bot.storage.database import DatabaseUnavailable, SQLiteDatabase
from bot.storage.migrator import latest_version
from bot.storage.repositories.meta import MetaRepository


def check(settings: Settings) -> int:
    """Validate every content module, apply the content lint and print what each holds.

    Exit 1 with one line per problem: content that loads but breaks a lint rule (an editorial note, an unused
    source, a guessable question) should not ship either, and this is the check a build runs.
    """
    library = ContentLibrary.load(settings.content_dir)
    problems = []
    for module in library.modules.values():
        print(
            f"{module.id}: {plural(len(module.topics), 'topic')}, {plural(len(module.commands), 'topic command')}, "
            f"{plural(len(module.questions), 'question')}, {plural(len(module.sources), 'source')} ({module.path})"
        )
        if not module.questions:
            print(
                f"warning: {module.id} has no quiz questions, so /{module.id} has no quiz or question of the day. "
                f"Add {module.path / 'questions.yaml'} (see content/README.md).",
                file=sys.stderr,
            )
        problems += lint(module)
    if problems:
        print(f"Content lint found {plural(len(problems), 'problem')}:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    return 0


async def migrate(settings: Settings) -> int:
    db = await open_database(settings)  # opening applies every pending migration
    try:
        version = await db.schema_version()
    finally:
        await db.close()
    print(f"{db.describe()}: schema version {version} (this bot knows up to {latest_version()})")
    return 0


BACKUP_NAME = "bot-%Y-%m-%dT%H%M%SZ.sqlite3"
"""A copy made into a folder is named by its UTC time, so a daily timer never overwrites and names sort by age."""
DUMP_NAME = "bot-%Y-%m-%dT%H%M%SZ.dump"


def _postgres_backup(url: str, written: str, folder: bool) -> int:
    """Say how to back up PostgreSQL rather than pretend: its own pg_dump does it, consistently and while the bot
    runs. The command is built from DATABASE_URL without the password (pg_dump asks, or reads PGPASSWORD or
    ~/.pgpass)."""
    file = str(Path(written) / datetime.now(UTC).strftime(DUMP_NAME)) if folder else written
    print(
        "DATABASE_URL points at PostgreSQL: back it up with PostgreSQL's pg_dump (safe while the bot runs), e.g.\n"
        f"  {urls.pg_dump_command(url, file)}\n"
        "pg_dump asks for the password, or reads PGPASSWORD or ~/.pgpass. Restore into an empty database with "
        f"pg_restore --dbname=URL {file}.",
        file=sys.stderr,
    )
    return 2


def backup(settings: Settings, written: str, keep: int | None = None) -> int:
    """Copy the database with SQLite's online backup API; safe while the bot is running.

    ``written`` (as typed) is a new file, or a folder (existing, or typed with a trailing slash) that gets a copy
    named by the time; with ``keep``, only the newest ``keep`` copies made that way stay in the folder.
    """
    target = Path(written)
    folder = target.is_dir() or written.endswith(("/", "\\"))
    if settings.database_url is not None:
        return _postgres_backup(settings.database_url.get_secret_value(), written, folder)
    if folder:
        target = target / datetime.now(UTC).strftime(BACKUP_NAME)
    if target.resolve() == settings.database_path.resolve():
        print("The backup must go to another file than the database itself.", file=sys.stderr)
        return 2
    if target.exists():
        print(f"{target} already exists; choose a new file name so no backup is overwritten.", file=sys.stderr)
        return 2
    if not settings.database_path.exists():
        print(f"There is no database at {settings.database_path} to back up.", file=sys.stderr)
        return 2
    try:
        asyncio.run(_copy(settings.database_path, target))
    except (OSError, sqlite3.Error) as exc:
        with contextlib.suppress(OSError):
            target.unlink(missing_ok=True)  # a half-written copy is no backup
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise OperatorError(
            f"Cannot write the backup to {target} ({reason}). Choose a folder this user can write to."
        ) from exc
    print(f"backed up {settings.database_path} to {target} ({target.stat().st_size} bytes)")
    if folder and keep is not None:
        for old in sorted(target.parent.glob("bot-*.sqlite3"))[:-keep]:
            old.unlink()
            print(f"removed the older backup {old}")
    return 0


async def _copy(source: Path, target: Path) -> None:
    db = await SQLiteDatabase.open(source)
    shown = -1

    def progress(remaining: int, total: int) -> None:
        nonlocal shown
        done = 100 if total == 0 else int(100 * (total - remaining) / total)
        if done // 10 != shown // 10:
            shown = done
            print(f"backing up… {done}%", file=sys.stderr)

    try:
        await db.backup(target, progress)
    finally:
        await db.close()


HEARTBEAT_STALE_MS = 180_000


async def health(settings: Settings) -> int:
    """Exit 0 while a running bot is connected to Discord (it records a heartbeat every 30 s), else 1."""
    if settings.database_url is None and not settings.database_path.is_file():
        print(
            f"unhealthy: there is no database at {settings.database_path}. The bot has not started with this "
            "DATABASE_PATH yet, or this command runs with other settings than the bot's.",
            file=sys.stderr,
        )
        return 1
    try:
        db = await open_database(settings)
    except DatabaseUnavailable as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    facts = InstallationFacts(MetaRepository(db))
    try:
        plan = settings.shards
        count = plan.count or await facts.shard_count()
        if count is None:  # written by a bot that records no shards: its one heartbeat says it all
            return _process_health(await facts.last_heartbeat())
        shards = plan.held(count)
        beats = await facts.shard_heartbeats(shards)
    finally:
        await db.close()
    return _shard_health(beats, count)


def _process_health(beat: int | None) -> int:
    if beat is None:
        print("unhealthy: no heartbeat recorded yet", file=sys.stderr)
        return 1
    age = time.time() * 1000 - beat
    if age > HEARTBEAT_STALE_MS:
        print(f"unhealthy: last heartbeat {age / 1000:.0f} s ago", file=sys.stderr)
        return 1
    print(f"healthy: last heartbeat {age / 1000:.0f} s ago")
    return 0


def _shard_health(beats: dict[int, int | None], count: int) -> int:
    """Healthy while every shard this process holds (from its settings, else all the bot last ran as) beat
    recently: one line for the verdict, then one per shard when there are several."""
    now = time.time() * 1000

    def state(beat: int | None) -> str:
        return "no heartbeat yet" if beat is None else f"last heartbeat {(now - beat) / 1000:.0f} s ago"

    down = [s for s, beat in beats.items() if beat is None or now - beat > HEARTBEAT_STALE_MS]
    if down:
        which = f"{noun(len(down), 'shard')} {describe_ids(down)} of {count}"
        lines = [f"unhealthy: {which} not connected" + (f" ({state(beats[down[0]])})" if len(beats) == 1 else "")]
    elif len(beats) == 1:
        lines = [f"healthy: {state(next(iter(beats.values())))}"]
    else:
        oldest = min(b for b in beats.values() if b is not None)
        held = ShardPlan(count, tuple(beats)).describe()
        lines = [f"healthy: {held} connected, oldest heartbeat {(now - oldest) / 1000:.0f} s ago"]
    if len(beats) > 1:
        lines += [f"  shard {s}: {state(beat)}" for s, beat in beats.items()]
    print("\n".join(lines), file=sys.stderr if down else sys.stdout)
    return 1 if down else 0


def copy_db(source_text: str, target_text: str) -> int:
    """Copy every row from one database to another, empty one (SQLite to PostgreSQL, or back), and print the rows
    copied per table. The bot should be stopped meanwhile, so nothing is written to the source during the copy."""
    source, target = urls.parse(source_text), urls.parse(target_text)
    if source == target or (
        source.path is not None and target.path is not None and source.path.resolve() == target.path.resolve()
    ):
        print("copy-db needs two different databases.", file=sys.stderr)
        return 2
    if source.path is not None and not source.path.is_file():
        print(f"There is no SQLite database at {source.path} to copy.", file=sys.stderr)
        return 2
    counts = asyncio.run(_copy_db(source, target))
    width = max(map(len, counts), default=0)
    for table, rows in counts.items():
        print(f"{table:<{width}}  {plural(rows, 'row')}")
    print(f"copied {plural(sum(counts.values()), 'row')} from {source.describe()} to {target.describe()}")
    return 0


async def _copy_db(source: urls.Location, target: urls.Location) -> dict[str, int]:
    from_db = await open_location(source)
    try:
        to_db = await open_location(target)
        try:
            return await copy_database(from_db, to_db)
        finally:
            await to_db.close()
    finally:
        await from_db.close()
