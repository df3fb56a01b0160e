"""The repositories' portable SQL in PostgreSQL's terms: numbered, typed placeholders; row counts; errors.

Repositories write ``?`` placeholders (SQLite's); PostgreSQL numbers them (``$1``). Solving that here keeps one
copy of every statement, checked by the same tests on both engines.

Types: PostgreSQL infers a parameter's type from where it stands (a column it is compared with or stored in),
but not inside ``(VALUES ...)`` in a FROM clause, where it would take text, and the answer writer's
``INSERT ... SELECT ... FROM (VALUES ...)`` would then compare a BIGINT id with text. So, like psycopg 3, an
``int`` is sent as ``int8`` (``$1::int8``) and other values untyped, for PostgreSQL to infer. ``int8`` compares
with and is stored into INTEGER columns (an assignment cast), so nothing else changes. A ``None`` stays
untyped: a VALUES column of NULLs only would be text (no statement binds one).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import asyncpg

from bot.storage.engine import IntegrityError

_TOKENS = re.compile(r"'(?:[^']|'')*'|\"[^\"]*\"|--[^\n]*|/\*.*?\*/|\?", re.DOTALL)
"""Quoted strings, quoted names and comments (skipped whole, so a ``?`` in them stays as it is), or a ``?``."""

_RETURNS_ROWS = re.compile(r"^\s*(?:SELECT|WITH|VALUES|TABLE|SHOW|EXPLAIN)\b|\bRETURNING\b", re.IGNORECASE)


@lru_cache(maxsize=256)
def _split(sql: str) -> tuple[str, ...]:
    """The text around each ``?`` placeholder: n placeholders give n + 1 pieces."""
    pieces: list[str] = []
    start = 0
    for token in _TOKENS.finditer(sql):
        if token.group() == "?":
            pieces.append(sql[start : token.start()])
            start = token.end()
    pieces.append(sql[start:])
    return tuple(pieces)


def numbered(sql: str, params: Sequence[Any], *, typed: bool = True) -> tuple[str, list[Any]]:
    """``sql`` with ``$n`` placeholders (``$n::int8`` for an int when ``typed``), and the values to bind.

    ``typed=False`` is for ``executemany``, whose rows share one statement text: that is only used for plain
    ``INSERT ... VALUES`` into a table, where each column gives its parameter's type.
    """
    pieces = _split(sql)
    if len(pieces) - 1 != len(params):
        raise ValueError(f"the statement has {len(pieces) - 1} placeholders but {len(params)} values were given")
    values = [int(v) if isinstance(v, bool) else v for v in params]
    if len(pieces) == 1:
        return sql, values
    return _render(sql, tuple(typed and isinstance(value, int) for value in values)), values


@lru_cache(maxsize=512)
def _render(sql: str, as_int8: tuple[bool, ...]) -> str:
    """The numbered text for one statement and one pattern of int parameters (the same for most calls of it: an
    answer batch of 20 rows has 180 placeholders, rebuilt at every click before this was kept)."""
    pieces = _split(sql)
    out = [pieces[0]]
    for number, (int8, piece) in enumerate(zip(as_int8, pieces[1:], strict=True), start=1):
        out.append(f"${number}::int8" if int8 else f"${number}")
        out.append(piece)
    return "".join(out)


def returns_rows(sql: str) -> bool:
    """Whether a statement gives rows (a query, or ``RETURNING``) rather than only a count."""
    return _RETURNS_ROWS.search(sql) is not None


def row_count(status: str) -> int:
    """The count in a command status such as ``UPDATE 3`` or ``INSERT 0 1`` (0 for a status with none)."""
    last = status.rpartition(" ")[2]
    return int(last) if last.isdigit() else 0


@contextmanager
def integrity_errors() -> Iterator[None]:
    """Raise ``engine.IntegrityError`` for a violated constraint, as SQLite raises ``sqlite3.IntegrityError``."""
    try:
        yield
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise IntegrityError(str(exc)) from exc
