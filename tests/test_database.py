"""What repositories rely on from a database, on both engines (ids ``sqlite`` and ``postgres``): migrations all at
once or not at all, one writer at a time, writes acknowledged after commit, no dirty reads, constraint errors
raised the same way, row counts, large ids, and ``?`` placeholders."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

import asyncpg
import pytest

from bot.storage import migrator
from bot.storage.connect import open_database
from bot.storage.database import MigrationBrokeKeys
from bot.storage.engine import Database, IntegrityError
from bot.storage.migrator import Migration
from bot.storage.repositories.meta import MetaRepository
from tests.helpers import make_settings

INSERT = "INSERT INTO meta (key, value, updated_at) VALUES (?, ?, ?)"


async def test_a_new_database_is_migrated_to_the_latest_version(db: Database) -> None:
    assert await db.schema_version() == migrator.latest_version()


async def test_meta_upsert_and_reopen(tmp_path: Path, database_url: str | None) -> None:
    settings = make_settings(tmp_path, database_url=database_url)
    db = await open_database(settings)
    meta = MetaRepository(db)
    assert await meta.get("k") is None
    await meta.set("k", "one")
    await meta.set("k", "two")
    await db.close()
    db = await open_database(settings)
    try:
        assert await MetaRepository(db).get("k") == "two"
        assert await db.schema_version() == migrator.latest_version(), "reopening migrates nothing twice"
    finally:
        await db.close()


async def test_failed_migration_leaves_nothing_behind(
    tmp_path: Path, database_url: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every pending migration is applied in one transaction, or none is (PostgreSQL's DDL is transactional too)."""
    for module, folder in (("database", migrator.SQLITE), ("postgres", migrator.POSTGRES)):
        real = migrator.available(folder)
        broken = [*real, Migration(len(real) + 1, "broken", "CREATE TABLE half (x INTEGER);\nTHIS IS NOT SQL;")]
        monkeypatch.setattr(f"bot.storage.{module}.available", lambda *_, b=broken: b)
    settings = make_settings(tmp_path, database_url=database_url)
    with pytest.raises((sqlite3.OperationalError, asyncpg.PostgresSyntaxError)):
        await open_database(settings)
    monkeypatch.undo()
    if database_url is None:
        with sqlite3.connect(settings.database_path) as conn:
            assert conn.execute("PRAGMA user_version").fetchone()[0] == 0
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    else:
        conn = await asyncpg.connect(database_url)
        try:
            rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        finally:
            await conn.close()
        tables = {r[0] for r in rows}
    assert tables == set(), "no table of the failed run is left, not even the schema version's"


async def test_a_sqlite_migration_that_would_leave_dangling_keys_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite migrates with foreign keys off (a table rebuild needs it) and checks every key before it commits."""
    real = migrator.available(migrator.SQLITE)
    orphan = "INSERT INTO quiz_questions (session_id, position, question_id) VALUES (404, 0, 'q');"
    monkeypatch.setattr(
        "bot.storage.database.available", lambda *_: [*real, Migration(len(real) + 1, "orphan", orphan)]
    )
    settings = make_settings(tmp_path)
    with pytest.raises(MigrationBrokeKeys, match=r"1 row.*quiz_questions"):
        await open_database(settings)
    monkeypatch.undo()
    with sqlite3.connect(settings.database_path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 0, "nothing of the run is kept"


async def test_write_returns_its_rows_once_committed(db: Database) -> None:
    rows = await db.write(INSERT + " RETURNING key, updated_at", ("k", "v", 7))
    assert [(r["key"], r[1]) for r in rows] == [("k", 7)]
    assert await db.write("DELETE FROM meta WHERE key = ?", ("nothing",)) == []
    row = await db.fetch_one("SELECT key, value FROM meta WHERE key = ?", ("k",))
    assert row is not None and dict(row) == {"key": "k", "value": "v"} and row[1] == "v"


async def test_a_read_never_sees_another_tasks_uncommitted_rows(db: Database) -> None:
    """A transaction that inserts and then rolls back: a read made in between must not report its row. (On SQLite
    such a read waits for the transaction; PostgreSQL's isolation shows it the committed rows at once.)"""
    reads: list[asyncio.Task[object]] = []
    with pytest.raises(ValueError):
        async with db.transaction() as conn:
            await conn.execute(INSERT, ("half", "done", 0))
            own = await db.fetch_one("SELECT value FROM meta WHERE key = 'half'")
            assert own is not None, "the transaction's own task sees its own rows"
            reads += [
                asyncio.create_task(db.fetch_all("SELECT key FROM meta WHERE key = 'half'")),
                asyncio.create_task(db.fetch_one("SELECT key FROM meta WHERE key = 'half'")),
            ]
            await asyncio.sleep(0.05)
            raise ValueError("roll back")
    assert await asyncio.wait_for(reads[0], 10) == []
    assert await asyncio.wait_for(reads[1], 10) is None
    assert await db.fetch_all("SELECT key FROM meta WHERE key = 'half'") == []


async def test_a_violated_constraint_raises_integrity_error_and_rolls_back(db: Database) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction() as conn:
            await conn.execute(INSERT, ("a", "1", 0))
            await conn.execute(INSERT, ("a", "2", 0))
    assert await db.fetch_one("SELECT key FROM meta WHERE key = 'a'") is None, "the whole transaction rolled back"
    await db.write(INSERT, ("a", "1", 0))
    with pytest.raises(sqlite3.IntegrityError) as raised:
        await db.write(INSERT, ("a", "2", 0))
    if db.dialect == "postgresql":
        assert isinstance(raised.value, IntegrityError)
    with pytest.raises(sqlite3.IntegrityError):
        await db.write("INSERT INTO quiz_answers (session_id, position, user_id, guild_id, topic, choice, correct, "
                       "points, answered_ms) VALUES (1, 0, 1, 1, 't', 9, 0, 0, 0)")  # fmt: skip


async def test_rowcount_counts_the_rows_a_statement_changed(db: Database) -> None:
    async with db.transaction() as conn:
        for key in ("a", "b", "c"):
            await conn.execute(INSERT, (key, "old", 0))
        updated = await conn.execute("UPDATE meta SET value = ? WHERE key IN (?, ?)", ("new", "a", "b"))
        kept = await conn.execute(
            INSERT + " ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE meta.value = 'never'", ("c", "x", 1)
        )
        deleted = await conn.execute("DELETE FROM meta WHERE value = ?", ("new",))
        selected = await conn.execute("SELECT key FROM meta WHERE key = ?", ("c",))
        row = await selected.fetchone()
        await selected.close()
    assert (updated.rowcount, kept.rowcount, deleted.rowcount) == (2, 0, 2)
    assert row is not None and row[0] == "c"


async def test_writers_queue_so_read_then_write_transactions_never_interleave(db: Database) -> None:
    await db.write(INSERT, ("counter", "0", 0))

    async def increment() -> None:
        async with db.transaction() as conn:
            cursor = await conn.execute("SELECT value FROM meta WHERE key = 'counter'")
            row = await cursor.fetchone()
            await cursor.close()
            assert row is not None
            await asyncio.sleep(0)  # every other task gets the chance to read the same value
            await conn.execute("UPDATE meta SET value = ? WHERE key = 'counter'", (str(int(row[0]) + 1),))

    await asyncio.gather(*(increment() for _ in range(20)))
    row = await db.fetch_one("SELECT value FROM meta WHERE key = 'counter'")
    assert row is not None and row["value"] == "20"


async def test_large_ids_many_values_and_question_marks_in_text(db: Database) -> None:
    snowflake = 1_234_567_890_123_456_789  # Discord ids need 64 bits
    await db.write(
        "INSERT INTO members (guild_id, user_id, display_name, updated_ms) VALUES (?, ?, 'who? -- me', ?)",
        (snowflake, snowflake + 1, 2**62),
    )
    row = await db.fetch_one("SELECT * FROM members WHERE guild_id = ? AND user_id = ?", (snowflake, snowflake + 1))
    assert row is not None and (row["display_name"], row["updated_ms"]) == ("who? -- me", 2**62)
    async with db.transaction() as conn:
        await conn.executemany(INSERT, [(f"k{i}", "?", i) for i in range(500)])
    marks = ", ".join("?" * 500)
    rows = await db.fetch_all(f"SELECT key FROM meta WHERE updated_at IN ({marks})", list(range(500)))
    assert len(rows) == 500


async def test_a_transaction_cancelled_while_it_begins_leaves_none_open(db: Database) -> None:
    """A task cancelled while its BEGIN is on its way (a quiz runner stopped at shutdown): the BEGIN still runs on
    the connection, so it is rolled back, and the next transaction and write work (SQLite said "cannot start a
    transaction within a transaction")."""

    async def begin() -> None:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO meta (key, value, updated_at) VALUES ('begun', 'yes', 1)")

    for _ in range(3):
        task = asyncio.create_task(begin())
        await asyncio.sleep(0)  # the task runs up to its BEGIN, and waits for it there
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO meta (key, value, updated_at) VALUES ('after', 'yes', 1) ON CONFLICT (key) DO NOTHING"
            )
    assert await db.fetch_one("SELECT value FROM meta WHERE key = 'after'") is not None
