"""What a database's schema is, read from the engine itself: tables, columns, keys, indexes, foreign keys.

Both engines are described in the same terms, so two databases can be compared: copy-db checks that source and
target have the same tables and columns and copies parents before children, and a test checks that the SQLite
and PostgreSQL migrations build the same schema (types compared by kind: INTEGER and BIGINT are both integers).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage.engine import Database

BOOKKEEPING = frozenset({"schema_version"})
"""Tables that hold no data of the bot's (PostgreSQL's schema version; SQLite keeps it in a PRAGMA)."""

_ON_DELETE = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    """``integer``, ``text``, or the declared type in lower case."""
    not_null: bool
    default: str | None


@dataclass(frozen=True)
class Index:
    name: str
    columns: tuple[str, ...]
    unique: bool
    partial: bool


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    table: str
    references: tuple[str, ...]
    on_delete: str


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    indexes: frozenset[Index]
    foreign_keys: frozenset[ForeignKey]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _kind(declared: str) -> str:
    """A column type by kind, as SQLite's affinity rules read it (INT anywhere: integer; CHAR or TEXT: text)."""
    upper = declared.upper()
    if "INT" in upper:
        return "integer"
    if "CHAR" in upper or "TEXT" in upper:
        return "text"
    return declared.lower()


def _default(text: str | None) -> str | None:
    """A default as both engines spell it: PostgreSQL adds the type (``'quiz'::text``)."""
    return None if text is None else text.split("::")[0]


async def read_schema(db: Database) -> dict[str, Table]:
    """Every table of the bot's (bookkeeping tables left out), by name."""
    if db.dialect == "postgresql":
        return await _postgres(db)
    return await _sqlite(db)


async def _sqlite(db: Database) -> dict[str, Table]:
    names = await db.fetch_all("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    tables: dict[str, Table] = {}
    for name in sorted(str(r["name"]) for r in names):
        rows = await db.fetch_all(
            'SELECT name, type, "notnull" AS not_null, dflt_value, pk FROM pragma_table_info(?) ORDER BY cid', (name,)
        )
        columns = tuple(
            Column(str(r["name"]), _kind(str(r["type"])), bool(r["not_null"]) or r["pk"] > 0, r["dflt_value"])
            for r in rows
        )
        primary_key = tuple(str(r["name"]) for r in sorted((r for r in rows if r["pk"] > 0), key=lambda r: r["pk"]))
        indexes: set[Index] = set()
        for index in await db.fetch_all(
            'SELECT name, "unique" AS is_unique, origin, partial FROM pragma_index_list(?)', (name,)
        ):
            if index["origin"] == "pk":
                continue
            cols = await db.fetch_all("SELECT name FROM pragma_index_info(?) ORDER BY seqno", (index["name"],))
            label = str(index["name"]) if index["origin"] == "c" else ""  # a UNIQUE constraint's index has no name
            indexes.add(
                Index(label, tuple(str(c["name"]) for c in cols), bool(index["is_unique"]), bool(index["partial"]))
            )
        keys: dict[int, list[tuple[str, str, str, str]]] = {}
        for fk in await db.fetch_all(
            'SELECT id, "table" AS parent, "from" AS child_column, "to" AS parent_column, on_delete '
            "FROM pragma_foreign_key_list(?) ORDER BY id, seq",
            (name,),
        ):
            keys.setdefault(int(fk["id"]), []).append(
                (str(fk["parent"]), str(fk["child_column"]), str(fk["parent_column"]), str(fk["on_delete"]))
            )
        foreign_keys = frozenset(
            ForeignKey(tuple(p[1] for p in parts), parts[0][0], tuple(p[2] for p in parts), parts[0][3])
            for parts in keys.values()
        )
        tables[name] = Table(name, columns, primary_key, frozenset(indexes), foreign_keys)
    return tables


_PG_COLUMNS = (
    "SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns "
    "WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position"
)
_PG_ATTNAMES = (
    "ARRAY(SELECT a.attname::text FROM unnest({keys}) WITH ORDINALITY AS k(attnum, n) "
    "JOIN pg_attribute a ON a.attrelid = {rel} AND a.attnum = k.attnum ORDER BY k.n)"
)
_PG_INDEXES = (
    "SELECT c.relname::text AS name, i.indisunique AS is_unique, i.indisprimary AS is_primary, "
    f"i.indpred IS NOT NULL AS partial, {_PG_ATTNAMES.format(keys='i.indkey::int2[]', rel='i.indrelid')} AS columns "
    "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = to_regclass(?)"
)
_PG_FOREIGN_KEYS = (
    f"SELECT {_PG_ATTNAMES.format(keys='f.conkey', rel='f.conrelid')} AS columns, "
    "f.confrelid::regclass::text AS parent, "
    f"{_PG_ATTNAMES.format(keys='f.confkey', rel='f.confrelid')} AS parent_columns, f.confdeltype::text AS on_delete "
    "FROM pg_constraint f WHERE f.contype = 'f' AND f.conrelid = to_regclass(?)"
)


async def _postgres(db: Database) -> dict[str, Table]:
    names = await db.fetch_all(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
        "AND table_type = 'BASE TABLE'"
    )
    tables: dict[str, Table] = {}
    for name in sorted(str(r["table_name"]) for r in names):
        if name in BOOKKEEPING:
            continue
        columns = tuple(
            Column(
                str(r["column_name"]),
                _kind(str(r["data_type"])),
                r["is_nullable"] == "NO",
                _default(r["column_default"]),
            )
            for r in await db.fetch_all(_PG_COLUMNS, (name,))
        )
        primary_key: tuple[str, ...] = ()
        indexes: set[Index] = set()
        for index in await db.fetch_all(_PG_INDEXES, (name,)):
            if index["is_primary"]:
                primary_key = tuple(index["columns"])
            else:
                indexes.add(Index(str(index["name"]), tuple(index["columns"]), index["is_unique"], index["partial"]))
        foreign_keys = frozenset(
            ForeignKey(
                tuple(fk["columns"]), str(fk["parent"]), tuple(fk["parent_columns"]), _ON_DELETE[fk["on_delete"]]
            )
            for fk in await db.fetch_all(_PG_FOREIGN_KEYS, (name,))
        )
        tables[name] = Table(name, columns, primary_key, frozenset(indexes), foreign_keys)
    return tables


def parents_first(tables: dict[str, Table]) -> list[str]:
    """Table names ordered so that every table comes after the tables its foreign keys point at."""
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in ordered or name in visiting:
            return
        visiting.add(name)
        for fk in sorted(tables[name].foreign_keys, key=lambda f: f.table):
            if fk.table != name and fk.table in tables:
                visit(fk.table)
        visiting.discard(name)
        ordered.append(name)

    for name in sorted(tables):
        visit(name)
    return ordered
