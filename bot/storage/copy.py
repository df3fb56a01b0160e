"""Copy every row of one database into another, empty one: how a server moves from SQLite to PostgreSQL.

Both are opened (so migrated) by the caller first, so they have the same schema version; the copy checks that
their tables and columns match too, refuses a target that holds any row, and writes everything in one target
transaction: a copy that fails half-way leaves the target as empty as it was.
"""

from __future__ import annotations

from bot.core.errors import OperatorError
from bot.storage.engine import Database
from bot.storage.schema import parents_first, read_schema

BATCH = 5_000
"""Rows read and written per step, so a large table never has to fit in memory at once."""


class CopyRefused(OperatorError):
    """The target is not an empty database of the same schema as the source."""


async def row_counts(db: Database) -> dict[str, int]:
    """Rows per table of the bot's, parents first."""
    tables = await read_schema(db)
    counts: dict[str, int] = {}
    for name in parents_first(tables):
        row = await db.fetch_one(f"SELECT COUNT(*) AS n FROM {name}")
        counts[name] = 0 if row is None else int(row["n"])
    return counts


async def copy_database(source: Database, target: Database) -> dict[str, int]:
    """Copy every table's rows from ``source`` into the empty ``target``; return the rows copied per table."""
    versions = await source.schema_version(), await target.schema_version()
    if versions[0] != versions[1]:
        raise CopyRefused(f"The source has schema version {versions[0]} and the target {versions[1]}.")
    source_tables, target_tables = await read_schema(source), await read_schema(target)
    if set(source_tables) != set(target_tables):
        raise CopyRefused(
            f"The databases have different tables: only in the source {sorted(set(source_tables) - set(target_tables))}, "
            f"only in the target {sorted(set(target_tables) - set(source_tables))}."
        )
    for name, table in source_tables.items():
        if set(table.column_names) != set(target_tables[name].column_names):
            raise CopyRefused(f"The table {name} has other columns in the source than in the target.")
    filled = {name: n for name, n in (await row_counts(target)).items() if n}
    if filled:
        held = ", ".join(f"{name} ({n})" for name, n in filled.items())
        raise CopyRefused(
            f"{target.describe()} already holds data: {held}. copy-db only fills an empty database, so nothing is "
            "overwritten or mixed; give it a new, empty one."
        )
    identities = await _identity_columns(target)
    copied: dict[str, int] = {}
    async with target.transaction() as conn:
        for name in parents_first(source_tables):
            table = source_tables[name]
            columns = ", ".join(table.column_names)
            order = ", ".join(table.primary_key or table.column_names)
            insert = f"INSERT INTO {name} ({columns}) VALUES ({', '.join('?' * len(table.columns))})"
            copied[name] = 0
            while True:
                rows = await source.fetch_all(
                    f"SELECT {columns} FROM {name} ORDER BY {order} LIMIT ? OFFSET ?", (BATCH, copied[name])
                )
                if not rows:
                    break
                await conn.executemany(insert, [tuple(row[c] for c in table.column_names) for row in rows])
                copied[name] += len(rows)
        for name, column in identities:
            # Copied ids were given explicitly, which leaves the sequence at 1: the next new row starts after them.
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence(?, ?), COALESCE((SELECT MAX({column}) FROM {name}), 0) + 1, false)",
                (name, column),
            )
    return copied


async def _identity_columns(db: Database) -> list[tuple[str, str]]:
    """PostgreSQL's identity columns (SQLite's ``INTEGER PRIMARY KEY`` goes on from the largest id by itself)."""
    if db.dialect != "postgresql":
        return []
    rows = await db.fetch_all(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND is_identity = 'YES' ORDER BY table_name"
    )
    return [(str(r["table_name"]), str(r["column_name"])) for r in rows]
