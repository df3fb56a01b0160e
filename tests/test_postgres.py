"""PostgreSQL specifics: the two engines' migrations build the same schema, the SQL adapter, URLs without passwords,
one-line errors, and the admin commands (migrate, health, backup's pg_dump advice, copy-db from SQLite)."""

from __future__ import annotations

import asyncio
import shlex
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.quiz.aggregate import Quiz
from bot.core.quiz.model import NewSession, QuizKind, QuizRules, QuizSession, StoredAnswer
from bot.core.review.session import NewReview, ReviewKind
from bot.services.review.quizcards import cards_after_reveal
from bot.settings import Settings
from bot.storage import migrator, pgsql, urls
from bot.storage.copy import CopyRefused, copy_database
from bot.storage.database import DatabaseUnavailable, SQLiteDatabase
from bot.storage.engine import Database
from bot.storage.postgres import PostgresDatabase
from bot.storage.repositories.answers import AnswerRepository, NameRow
from bot.storage.repositories.jobs import JobRepository
from bot.storage.repositories.meta import HEARTBEAT_KEY, MetaRepository
from bot.storage.repositories.moderation import AuditEntry, ModerationRepository
from bot.storage.repositories.privacy import PrivacyRepository
from bot.storage.repositories.quiz import QuizRepository, write_staged
from bot.storage.repositories.review import ReviewRepository
from bot.storage.repositories.settings import SettingsRepository
from bot.storage.repositories.study import StudyChannel, StudyRepository
from bot.storage.repositories.tutor import TutorRepository
from bot.storage.schema import parents_first, read_schema
from tests.helpers import cli
from tests.postgres import PostgresServer

GUILD, CHANNEL, MEMBER = 1_234_567_890_123_456_789, 987_654_321_987_654_321, 555_555_555_555_555_555
"""Snowflake-sized ids: they need 64 bits on both engines."""


@pytest.fixture
async def pg_url(postgres_server: PostgresServer) -> AsyncIterator[str]:
    """A fresh PostgreSQL database's URL, with a password that must never be printed (the test server trusts
    every local login, so the password is only carried, never checked)."""
    name = await postgres_server.create_database()
    try:
        yield postgres_server.url(name).replace("postgres@", "postgres:s3cret-pw@")
    finally:
        await postgres_server.release_database(name)


# The SQL adapter and URLs (no server needed) ---------------------------------------------------------------


def test_placeholders_are_numbered_and_ints_typed_outside_quotes_and_comments() -> None:
    sql = "SELECT '?', \"a?\" FROM t -- what?\nWHERE a = ? AND b = ? /* ? */ AND c IN (?, ?)"
    query, values = pgsql.numbered(sql, [1, "x", True, None])
    assert query == "SELECT '?', \"a?\" FROM t -- what?\nWHERE a = $1::int8 AND b = $2 /* ? */ AND c IN ($3::int8, $4)"
    assert values == [1, "x", 1, None]
    assert pgsql.numbered("INSERT INTO t VALUES (?, ?)", [1, "x"], typed=False)[0] == "INSERT INTO t VALUES ($1, $2)"
    with pytest.raises(ValueError, match="2 placeholders but 1 values"):
        pgsql.numbered("SELECT ? + ?", [1])


def test_rows_or_counts() -> None:
    assert pgsql.returns_rows("  select 1") and pgsql.returns_rows("INSERT INTO t VALUES (1) RETURNING id")
    assert not pgsql.returns_rows("UPDATE t SET returning_ms = 1")
    assert (pgsql.row_count("UPDATE 3"), pgsql.row_count("INSERT 0 1"), pgsql.row_count("BEGIN")) == (3, 1, 0)


def test_urls_never_show_the_password() -> None:
    assert urls.redact("postgresql://bot:p@ss:w@db.lan:5433/bot?sslmode=require") == (
        "postgresql://bot@db.lan:5433/bot?sslmode=require"
    )
    assert urls.redact("postgresql://bot@/bot?host=/run/postgresql&password=x") == (
        "postgresql://bot@/bot?host=/run/postgresql"
    )
    assert urls.pg_dump_command("postgresql://bot:pw@db/bot", "my dump") == (
        "pg_dump --format=custom --file='my dump' postgresql://bot@db/bot"
    )
    assert urls.parse("sqlite:///data/bot.sqlite3").path == Path("data/bot.sqlite3")
    assert urls.parse("sqlite:////var/lib/bot.sqlite3").path == Path("/var/lib/bot.sqlite3")
    assert urls.parse("bot.sqlite3").path == Path("bot.sqlite3")
    with pytest.raises(urls.BadDatabaseUrl, match="mysql://u@db/bot is not a database"):
        urls.parse("mysql://u:pw@db/bot")


def test_database_url_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", "postgresql://bot:s3cret@db/bot")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url is not None and "s3cret" not in repr(settings)
    monkeypatch.setenv("DATABASE_URL", "")
    assert Settings(_env_file=None).database_url is None  # type: ignore[call-arg]
    monkeypatch.setenv("DATABASE_URL", "mysql://bot@db/bot")
    with pytest.raises(ValueError, match="must start with postgresql://"):
        Settings(_env_file=None)  # type: ignore[call-arg]


async def test_an_unreachable_server_is_one_line_without_the_password(tmp_path: Path) -> None:
    url = f"postgresql://bot:s3cret@/bot?host={tmp_path / 'no-server-here'}"  # a unix socket: no network traffic
    with pytest.raises(DatabaseUnavailable) as raised:
        await PostgresDatabase.open(url)
    message = str(raised.value)
    assert message.startswith(f"Cannot connect to PostgreSQL at postgresql://bot@/bot?host={tmp_path}")
    assert "s3cret" not in message and "\n" not in message


# Against the test server ------------------------------------------------------------------------------------


async def test_a_missing_database_says_how_to_create_it(postgres_server: PostgresServer) -> None:
    with pytest.raises(DatabaseUnavailable, match=r"no such database.*createdb --owner=bot bot"):
        await PostgresDatabase.open(postgres_server.url("not_there"))


async def test_a_database_newer_than_the_code_is_refused(pg_url: str) -> None:
    db = await PostgresDatabase.open(pg_url)
    await db.write("UPDATE schema_version SET version = 999")
    await db.close()
    with pytest.raises(migrator.SchemaTooNew, match="schema version 999"):
        await PostgresDatabase.open(pg_url)


async def test_both_engines_build_the_same_schema_at_every_version(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same versions and names, and after each version the same tables, columns (by kind: INTEGER and BIGINT
    are both integers), NOT NULL, defaults, primary keys, indexes (unique, partial) and foreign keys. Each step
    migrates the previous step's databases, as an upgrade does."""
    sqlite, postgres = migrator.available(migrator.SQLITE), migrator.available(migrator.POSTGRES)
    assert [(m.version, m.name) for m in sqlite] == [(m.version, m.name) for m in postgres]
    for version in range(1, len(sqlite) + 1):
        monkeypatch.setattr("bot.storage.database.available", lambda *_, v=version: sqlite[:v])
        monkeypatch.setattr("bot.storage.postgres.available", lambda *_, v=version: postgres[:v])
        lite, pg = await SQLiteDatabase.open(tmp_path / "bot.sqlite3"), await PostgresDatabase.open(pg_url)
        try:
            assert await lite.schema_version() == await pg.schema_version() == version
            lite_tables, pg_tables = await read_schema(lite), await read_schema(pg)
        finally:
            await lite.close()
            await pg.close()
        assert sorted(lite_tables) == sorted(pg_tables), f"tables after migration {version}"
        for name, table in lite_tables.items():
            assert table == pg_tables[name], f"{name} after migration {version:03d}"


async def test_migrate_health_and_backup_from_the_command_line(
    tmp_path: Path, pg_url: str, postgres_server: PostgresServer
) -> None:
    env = {"DATABASE_URL": pg_url}
    where = tmp = tmp_path
    shown = pg_url.replace(":s3cret-pw", "")
    migrated = cli(tmp, "migrate", env=env, database=False)
    assert migrated.returncode == 0, migrated.stderr
    assert (
        migrated.stdout.strip()
        == f"{shown}: schema version {migrator.latest_version()} (this bot knows up to {migrator.latest_version()})"
    )

    unhealthy = cli(tmp, "health", env=env, database=False)
    assert (unhealthy.returncode, unhealthy.stderr.strip()) == (1, "unhealthy: no heartbeat recorded yet")
    db = await PostgresDatabase.open(pg_url)
    try:
        await MetaRepository(db).set(HEARTBEAT_KEY, str(int(time.time() * 1000)))
    finally:
        await db.close()
    healthy = cli(tmp, "health", env=env, database=False)
    assert healthy.returncode == 0 and healthy.stdout.startswith("healthy"), healthy.stderr

    backup = cli(tmp, "backup", str(where / "dump.custom"), env=env, database=False)
    assert backup.returncode == 2 and "pg_dump" in backup.stderr
    assert "s3cret" not in backup.stdout + backup.stderr + migrated.stdout + healthy.stdout
    command = next(line.strip() for line in backup.stderr.splitlines() if line.strip().startswith("pg_dump "))
    assert command == urls.pg_dump_command(shown, str(where / "dump.custom"))
    args = shlex.split(command)
    dump = await asyncio.create_subprocess_exec(  # the advice works as printed
        str(postgres_server.binaries / "pg_dump"), *args[1:], stderr=asyncio.subprocess.PIPE
    )
    _, errors = await asyncio.wait_for(dump.communicate(), 60)
    assert dump.returncode == 0, errors.decode()
    assert (where / "dump.custom").stat().st_size > 0
    (where / "dump.custom").unlink()


async def _create(db: Database, new: NewSession, question_ids: list[str], now_ms: int) -> QuizSession:
    quizzes = QuizRepository(db)
    added = quizzes.add(new, question_ids, now_ms)
    await write_staged(db, quizzes, AnswerRepository(db))
    assert added.session is not None
    return added.session


async def _save(db: Database, quiz: Quiz, before: Quiz) -> None:
    quizzes = QuizRepository(db)
    quizzes.save(quiz, before)
    await write_staged(db, quizzes, AnswerRepository(db))


async def _fill(db: Database) -> int:
    """A little of everything the bot stores, in every table; returns the largest session id."""
    quiz = QuizRepository(db)
    rules = QuizRules(question_count=2, seconds=30, points=10, speed_bonus=True)
    origin = {"guild_id": GUILD, "channel_id": CHANNEL, "starter_id": MEMBER, "module": "ketamine", "difficulty": None}
    session = await _create(db, NewSession(**origin, topic="mechanism", rules=rules, seed=2**47), ["q1", "q2"], 1_000)
    running = await quiz.load(session.id)
    assert running is not None
    before = running.snapshot()
    running.ask_next(1_000)
    await _save(db, running, before)
    answers = AnswerRepository(db)
    for user in (MEMBER, MEMBER + 1):
        answer = StoredAnswer(
            session_id=session.id, position=0, user_id=user, guild_id=GUILD, topic="mechanism", choice=1,
            correct=user == MEMBER, points=10 if user == MEMBER else 0, answered_ms=2_000,
        )  # fmt: skip
        assert await answers.insert([answer]) == {(session.id, 0, user)}
    await answers.upsert_names(
        [NameRow(GUILD, user, f"member {user}", 2_000, session.id, 0) for user in (MEMBER, MEMBER + 1)]
    )
    before = running.snapshot()
    running.reveal(5_000)
    running.ask_next(5_500)
    running.reveal(5_800)
    running.finish(6_000)
    await _save(db, running, before)
    daily = NewSession(
        **origin, topic=None, rules=rules, seed=3, kind=QuizKind.DAILY, closes_ms=9_000, daily_day="2026-01-02"
    )
    daily_session = await _create(db, daily, ["q3"], 2_000)
    await SettingsRepository(db).change(GUILD, MEMBER, "timezone", "Europe/Berlin", 3_000, default="UTC")
    await StudyRepository(db).put(
        StudyChannel(channel_id=CHANNEL, guild_id=GUILD, topic=None, daily=True, added_by=1, added_ms=1)
    )
    await PrivacyRepository(db).server_left(GUILD + 1, 4_000)
    await MetaRepository(db).set("command_tree_hash", "abc")
    await JobRepository(db).hold("quiz", daily_session.id, GUILD, 9_000, "host:1:abc", 7_000, 6_000)
    review = ReviewRepository(db)
    assert await review.apply_revealed(cards_after_reveal, 7_000) == 2  # the answers to q1 become review cards
    await review.open_session(
        NewReview(user_id=MEMBER, module="ketamine", topic=None, kind=ReviewKind.REVIEW, question_ids=("q1", "q2")),
        8_000,
    )
    moderation = ModerationRepository(db)
    assert await moderation.add_report(GUILD, "ketamine", "q1", "0123abcd", MEMBER, "wrong **answer**", 4_500)
    hidden = AuditEntry(user_id=MEMBER, key="question:q2", old_value="shown", new_value="hidden", changed_ms=4_600)
    assert await moderation.hide(GUILD, "ketamine", "q2", hidden)
    assert await TutorRepository(db).share_name(GUILD, MEMBER, True, 4_700)
    return daily_session.id


async def _rows(db: Database) -> dict[str, list[tuple[object, ...]]]:
    tables = await read_schema(db)
    return {
        name: [
            tuple(r) for r in await db.fetch_all(f"SELECT * FROM {name} ORDER BY {', '.join(tables[name].primary_key)}")
        ]
        for name in parents_first(tables)
    }


async def test_copy_db_moves_every_row_from_sqlite_and_prints_the_counts(tmp_path: Path, pg_url: str) -> None:
    source = await SQLiteDatabase.open(tmp_path / "old" / "bot.sqlite3")
    try:
        last_session = await _fill(source)
        expected = await _rows(source)
    finally:
        await source.close()
    assert all(expected.values()), "every table has rows to copy"

    result = cli(tmp_path, "copy-db", "sqlite:///old/bot.sqlite3", pg_url, database=False)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:-1] == [
        "quiz_sessions         2 rows",
        "daily_posts           1 row",
        "guild_departures      1 row",
        "hidden_questions      1 row",
        "jobs                  1 row",
        "members               2 rows",
        "meta                  1 row",
        "name_sharing          1 row",
        "question_reports      1 row",
        "quiz_questions        3 rows",
        "quiz_answers          2 rows",
        "review_cards          2 rows",
        "review_logs           2 rows",
        "review_sessions       1 row",
        "review_session_cards  2 rows",
        "server_settings       1 row",
        "settings_audit        2 rows",
        "study_channels        1 row",
    ], "parents before children"
    assert lines[-1].startswith("copied 27 rows from old/bot.sqlite3 to postgresql://postgres@/")
    assert "s3cret" not in result.stdout + result.stderr

    target = await PostgresDatabase.open(pg_url)
    try:
        assert await _rows(target) == expected
        rules = QuizRules(question_count=1, seconds=30, points=10, speed_bonus=False)
        new = NewSession(guild_id=GUILD, channel_id=CHANNEL + 1, starter_id=MEMBER, module="ketamine", topic=None,
                         difficulty=None, rules=rules, seed=1)  # fmt: skip
        assert (await _create(target, new, ["q1"], 10_000)).id == last_session + 1, "new ids follow the copied ones"
    finally:
        await target.close()

    again = cli(tmp_path, "copy-db", str(tmp_path / "old" / "bot.sqlite3"), pg_url, database=False)
    assert again.returncode == 1 and "already holds data: quiz_sessions (3), daily_posts (1)" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1 and "s3cret" not in again.stderr


async def test_copy_db_refuses_a_target_with_any_row_and_leaves_it_as_it_was(tmp_path: Path, pg_url: str) -> None:
    source = await SQLiteDatabase.open(tmp_path / "bot.sqlite3")
    target = await PostgresDatabase.open(pg_url)
    try:
        await _fill(source)
        await PrivacyRepository(target).server_left(42, 1)
        with pytest.raises(CopyRefused, match=r"already holds data: guild_departures \(1\)"):
            await copy_database(source, target)
        counts = {name: len(rows) for name, rows in (await _rows(target)).items()}
        assert counts.pop("guild_departures") == 1 and set(counts.values()) == {0}
    finally:
        await source.close()
        await target.close()


def test_copy_db_needs_an_existing_source_and_two_databases(tmp_path: Path) -> None:
    missing = cli(tmp_path, "copy-db", "nothing.sqlite3", "postgresql://bot@/bot?host=/nowhere", database=False)
    assert (missing.returncode, missing.stderr.strip()) == (
        2,
        "There is no SQLite database at nothing.sqlite3 to copy.",
    )
    assert not (tmp_path / "nothing.sqlite3").exists()
    same = cli(tmp_path, "copy-db", "a.sqlite3", f"sqlite:///{tmp_path / 'a.sqlite3'}", database=False)
    assert same.returncode == 2 and "two different databases" in same.stderr
