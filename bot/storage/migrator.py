"""Versioned migrations: ``NNN-name.sql`` files, applied in order, all pending ones in one transaction.

SQLite's are in ``migrations/`` and PostgreSQL's in ``migrations_pg/``: the same versions and names, each file
the same change in the engine's own words (a test compares the schemas they build). The schema version is
SQLite's ``PRAGMA user_version`` and a ``schema_version`` table on PostgreSQL. A database newer than the code is
refused rather than guessed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from bot.core.errors import OperatorError

_NAME = re.compile(r"^(?P<version>\d{3})-(?P<name>[a-z0-9-]+)\.sql$")


class SchemaTooNew(OperatorError):
    """The database was written by a newer version of the bot."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


SQLITE = "migrations"
POSTGRES = "migrations_pg"


def available(folder: str = SQLITE) -> list[Migration]:
    """Every migration shipped with the package for one engine (its folder), in version order, with no gaps."""
    found: list[Migration] = []
    for entry in resources.files("bot.storage").joinpath(folder).iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match["version"]), match["name"], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise RuntimeError(f"migration {expected:03d} is missing (found {migration.version:03d}-{migration.name})")
    return found


def latest_version() -> int:
    """The schema version this code brings a database to (the same for both engines)."""
    return len(available())
