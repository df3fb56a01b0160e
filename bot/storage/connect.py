"""Open the database the settings name: PostgreSQL when ``DATABASE_URL`` is set, else the SQLite file.

The one place that chooses an engine, so the app, the admin commands and copy-db open databases alike. asyncpg is
imported only for PostgreSQL: an SQLite bot never loads it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from pydantic import SecretStr

from bot.storage.database import SQLiteDatabase
from bot.storage.engine import Database
from bot.storage.urls import Location


class DatabaseSettings(Protocol):
    """Where the database is, as the settings say (``bot.settings.Settings`` has both)."""

    @property
    def database_url(self) -> SecretStr | None: ...
    @property
    def database_path(self) -> Path: ...


def location(settings: DatabaseSettings) -> Location:
    """Where the settings put the database."""
    if settings.database_url is not None:
        return Location(url=settings.database_url.get_secret_value())
    return Location(path=settings.database_path)


async def open_location(where: Location) -> Database:
    """Open (and migrate) the database at ``where``."""
    if where.url is not None:
        from bot.storage.postgres import PostgresDatabase

        return await PostgresDatabase.open(where.url)
    assert where.path is not None
    return await SQLiteDatabase.open(where.path)


async def open_database(settings: DatabaseSettings) -> Database:
    """Open (and migrate) the database the settings name."""
    return await open_location(location(settings))
