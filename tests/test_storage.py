"""SQLite specifics: WAL, the online backup, the version check, one connection's locking. What both engines
must do alike is in test_database.py."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.storage import database, migrator
from bot.storage.database import SQLiteDatabase
from bot.storage.migrator import SchemaTooNew
from bot.storage.repositories.meta import MetaRepository


async def test_new_database_is_in_wal_mode(tmp_path: Path) -> None:
    db = await SQLiteDatabase.open(tmp_path / "sub" / "bot.sqlite3")
    try:
        assert await db.schema_version() == migrator.latest_version()
        row = await db.fetch_one("PRAGMA journal_mode")
        assert row is not None and row[0] == "wal"
    finally:
        await db.close()


async def test_database_newer_than_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 999")
    with pytest.raises(SchemaTooNew, match="schema version 999"):
        await SQLiteDatabase.open(path)


async def test_online_backup_while_writing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(database, "BACKUP_STEP_PAGES", 8)  # several steps, so writes can land between them
    db = await SQLiteDatabase.open(tmp_path / "live.sqlite3")
    meta = MetaRepository(db)
    try:
        for i in range(200):
            await meta.set(f"before-{i}", "x" * 500)
        pages: list[tuple[int, int]] = []

        async def keep_writing() -> None:
            for i in range(50):
                await meta.set(f"during-{i}", "y")

        writer = asyncio.create_task(keep_writing())
        await db.backup(
            tmp_path / "copies" / "backup.sqlite3", progress=lambda left, total: pages.append((left, total))
        )
        await writer
        assert len(pages) > 1 and pages[-1][0] == 0
    finally:
        await db.close()
    with sqlite3.connect(tmp_path / "copies" / "backup.sqlite3") as copy:
        keys = {r[0] for r in copy.execute("SELECT key FROM meta")}
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("PRAGMA user_version").fetchone()[0] == migrator.latest_version()
    assert {f"before-{i}" for i in range(200)} <= keys


async def test_backup_waits_for_a_write_transaction_in_progress(tmp_path: Path) -> None:
    """Regression: a backup started while another task was inside a transaction used to hang forever.

    The copy ran on the connection's worker thread while the transaction's next statement queued behind
    it, and SQLite keeps refusing to copy from a connection that is mid-write.
    """
    db = await SQLiteDatabase.open(tmp_path / "live.sqlite3")
    try:
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO meta (key, value, updated_at) VALUES ('first', '1', 0)")
            backup = asyncio.create_task(db.backup(tmp_path / "copy.sqlite3"))
            await asyncio.sleep(0.05)  # the backup has started and is waiting for the transaction
            assert not backup.done()
            await asyncio.wait_for(
                conn.execute("INSERT INTO meta (key, value, updated_at) VALUES ('second', '2', 0)"), 10
            )
        await asyncio.wait_for(backup, 10)
    finally:
        await db.close()
    with sqlite3.connect(tmp_path / "copy.sqlite3") as copy:
        keys = {r[0] for r in copy.execute("SELECT key FROM meta")}
    assert {"first", "second"} <= keys, "the copy is taken after the transaction committed"


async def test_an_sqlite_too_old_for_returning_is_refused_with_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database.sqlite3, "sqlite_version_info", (3, 31, 1))
    monkeypatch.setattr(database.sqlite3, "sqlite_version", "3.31.1")
    with pytest.raises(database.SQLiteTooOld, match=r"SQLite 3\.31\.1; the bot needs 3\.35\.0 or newer"):
        await SQLiteDatabase.open(tmp_path / "bot.sqlite3")
    assert not (tmp_path / "bot.sqlite3").exists()


async def test_write_refuses_to_run_inside_a_transaction_left_open(tmp_path: Path) -> None:
    db = await SQLiteDatabase.open(tmp_path / "bot.sqlite3")
    try:
        await db._conn.execute("BEGIN")
        with pytest.raises(RuntimeError, match="left open"):
            await db.write("INSERT INTO meta (key, value, updated_at) VALUES ('k', 'v', 1)")
        await db._conn.execute("ROLLBACK")
        assert await db.write("INSERT INTO meta (key, value, updated_at) VALUES ('k', 'v', 1) RETURNING key") != []
    finally:
        await db.close()


async def test_a_read_never_sees_another_tasks_uncommitted_rows(tmp_path: Path) -> None:
    """A transaction that inserts and then rolls back: a read made in between must not report its row."""
    db = await SQLiteDatabase.open(tmp_path / "bot.sqlite3")
    reads: list[asyncio.Task[object]] = []
    try:
        with pytest.raises(ValueError):
            async with db.transaction() as conn:
                await conn.execute("INSERT INTO meta (key, value, updated_at) VALUES ('half', 'done', 0)")
                own = await db.fetch_one("SELECT value FROM meta WHERE key = 'half'")
                assert own is not None, "the transaction's own task sees its own rows"
                reads += [
                    asyncio.create_task(db.fetch_all("SELECT key FROM meta WHERE key = 'half'")),
                    asyncio.create_task(db.fetch_one("SELECT key FROM meta WHERE key = 'half'")),
                ]
                await asyncio.sleep(0.05)  # the reads have had every chance to run
                assert not any(r.done() for r in reads), "the reads wait for the transaction to end"
                raise ValueError("roll back")
        assert await asyncio.wait_for(reads[0], 10) == []
        assert await asyncio.wait_for(reads[1], 10) is None
        assert await db.fetch_all("SELECT key FROM meta WHERE key = 'half'") == []
    finally:
        await db.close()
