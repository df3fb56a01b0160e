"""Database locations as operators write them: a PostgreSQL URL, or an SQLite file (a path or ``sqlite:///path``).

Passwords never leave this module in anything printed: ``redact`` is what logs, errors and the suggested
``pg_dump`` command show.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bot.core.errors import OperatorError

POSTGRES_SCHEMES = ("postgresql", "postgres")


class BadDatabaseUrl(OperatorError):
    """A database location that is neither a PostgreSQL URL nor an SQLite file."""


@dataclass(frozen=True)
class Location:
    """Where a database is: ``url`` for PostgreSQL, else ``path`` for an SQLite file."""

    url: str | None = None
    path: Path | None = None

    def describe(self) -> str:
        return redact(self.url) if self.url is not None else str(self.path)


def is_postgres(url: str) -> bool:
    return urlsplit(url).scheme.lower() in POSTGRES_SCHEMES


def parse(text: str) -> Location:
    """Read a location typed on the command line: ``postgresql://...``, ``sqlite:///path`` or a plain path.

    ``sqlite:///data/bot.sqlite3`` is relative (three slashes, as SQLAlchemy writes it) and
    ``sqlite:////var/lib/bot.sqlite3`` absolute.
    """
    if is_postgres(text):
        return Location(url=text)
    if text.startswith("sqlite:"):
        rest = text.removeprefix("sqlite:")
        if not rest.startswith("///") or len(rest) == 3:
            raise BadDatabaseUrl(
                f"{text!r} is not an SQLite URL; write sqlite:///relative/path or sqlite:////abs/path."
            )
        return Location(path=Path(rest[3:]))
    if "://" in text:
        raise BadDatabaseUrl(
            f"{redact(text)} is not a database the bot knows: use postgresql://user@host/dbname, "
            "sqlite:///path/to/bot.sqlite3, or a plain path to an SQLite file."
        )
    return Location(path=Path(text))


def redact(url: str) -> str:
    """The URL without its password (``postgresql://bot:secret@db/bot`` -> ``postgresql://bot@db/bot``), also
    when it is given as ``?password=`` (libpq accepts both)."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        netloc = f"{userinfo.partition(':')[0]}@{hostport}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "password"], safe="/")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def pg_dump_command(url: str, file: str = "bot.dump") -> str:
    """The ``pg_dump`` command that backs up this database, without its password (pg_dump reads PGPASSWORD
    or ~/.pgpass), in custom format so ``pg_restore`` can restore it."""
    return f"pg_dump --format=custom --file={shlex.quote(file)} {shlex.quote(redact(url))}"
