"""The quiz's ranges are declared once (``bot.core.quiz.limits``), and the four places that check them agree with it.

Environment settings, per-server settings (model, parser, the "allowed" text), the quiz start option and the
schema's CHECKs on both engines. The CHECKs are SQL and cannot import the limits, so they are read back from
migrated databases: SQLite's from the table's SQL in ``sqlite_master``, PostgreSQL's from ``pg_constraint``.
Also: migration 009 moves rows stored under the old, wider ranges into the new ones and keeps their children.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bot.core.errors import InvalidInput
from bot.core.quiz import limits
from bot.core.quiz.limits import Range
from bot.core.server_settings import SPECS, ServerSettings, parse_setting
from bot.services.bundle import Services
from bot.settings import PROJECT_ROOT, Settings
from bot.storage import migrator
from bot.storage.connect import open_database
from bot.storage.engine import Database
from tests.helpers import make_settings

QUIZ_RANGES: dict[str, tuple[Range[int], str, str]] = {
    "questions": (limits.QUESTIONS, "quiz_questions", "question_count"),
    "seconds": (limits.SECONDS, "quiz_seconds", "seconds"),
    "points": (limits.POINTS, "quiz_points", "points"),
}
"""Per-server setting key: (declared range, environment setting field, quiz_sessions column)."""

_SQLITE_CHECK = re.compile(r"CHECK \((\w+) BETWEEN (-?\d+) AND (-?\d+)\)", re.IGNORECASE)
_PG_CHECK = re.compile(r"^CHECK \(\(\((\w+) >= (-?\d+)\) AND \(\1 <= (-?\d+)\)\)\)$")


async def check_ranges(db: Database) -> dict[str, tuple[int, int]]:
    """Every ``column BETWEEN low AND high`` CHECK of quiz_sessions, as the engine itself stores it."""
    if db.dialect == "postgresql":
        rows = await db.fetch_all(
            "SELECT pg_get_constraintdef(oid) AS definition FROM pg_constraint "
            "WHERE conrelid = to_regclass('quiz_sessions') AND contype = 'c'"
        )
        found = [_PG_CHECK.match(str(r["definition"])) for r in rows]
        return {m[1]: (int(m[2]), int(m[3])) for m in found if m is not None}
    row = await db.fetch_one("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'quiz_sessions'")
    assert row is not None
    return {m[1]: (int(m[2]), int(m[3])) for m in _SQLITE_CHECK.finditer(str(row["sql"]))}


def field_bounds(model: type[Settings] | type[ServerSettings], name: str) -> tuple[Any, Any, Any]:
    """(ge, le, default) of a pydantic field, as pydantic will enforce them."""
    field = model.model_fields[name]
    bounds = {type(m).__name__: m for m in field.metadata}
    return bounds["Ge"].ge, bounds["Le"].le, field.default


def env(name: str, value: int) -> Settings:
    """Environment settings with one quiz value set (and none read from a developer's shell or .env)."""
    values: dict[str, Any] = {name: value}
    return make_settings(Path("."), **values)


def refused(make: Any) -> bool:
    try:
        make()
    except (ValidationError, InvalidInput):
        return True
    return False


async def test_schema_checks_match_the_declared_ranges(services: Services) -> None:
    """Read back from the migrated schema (both engines): exactly the three ranged columns, at the declared ends."""
    checks = await check_ranges(services.app.db)
    assert checks == {column: (r.low, r.high) for r, _, column in QUIZ_RANGES.values()}


@pytest.mark.parametrize("key", sorted(QUIZ_RANGES))
async def test_environment_server_settings_parser_and_schema_agree(services: Services, key: str) -> None:
    declared, env_field, column = QUIZ_RANGES[key]
    low, high = declared.low, declared.high
    assert (await check_ranges(services.app.db))[column] == (low, high)
    assert field_bounds(Settings, env_field) == (low, high, declared.default)
    assert field_bounds(ServerSettings, key) == (low, high, declared.default)
    for value in (low, high):
        assert getattr(env(env_field, value), env_field) == value
        assert getattr(ServerSettings(**{key: value}), key) == value
        assert parse_setting(key, str(value), []) == value
    for value in (low - 1, high + 1):
        assert refused(lambda v=value: env(env_field, v)), f"{env_field}={value}"
        assert refused(lambda v=value: ServerSettings(**{key: v})), f"ServerSettings {key}={value}"
        assert refused(lambda v=value: parse_setting(key, str(v), [])), f"settings set {key} {value}"
    assert SPECS[key].allowed == f"{low} to {high}"


async def test_quiz_start_option_and_defaults_follow_the_limits(services: Services) -> None:
    option = services.router.find("ketamine", "quiz start").option("questions")
    assert option is not None
    assert (option.min_value, option.max_value) == (limits.QUESTIONS.low, limits.QUESTIONS.high)
    assert f"{limits.QUESTIONS.allowed}; default {limits.QUESTIONS.default}" in option.description
    defaults = ServerSettings()
    assert (defaults.speed_bonus, Settings.model_fields["quiz_speed_bonus"].default) == (limits.SPEED_BONUS,) * 2
    reveal = limits.REVEAL_SECONDS
    assert field_bounds(Settings, "quiz_reveal_seconds") == (reveal.low, reveal.high, reveal.default)


def test_daily_window_is_one_range_in_the_model_and_the_parser() -> None:
    window = limits.DAILY_WINDOW_HOURS
    assert field_bounds(ServerSettings, "daily_window_hours") == (window.low, window.high, window.default)
    assert parse_setting("daily_window_hours", str(window.high), []) == window.high
    assert refused(lambda: parse_setting("daily_window_hours", str(window.high + 1), []))
    assert refused(lambda: ServerSettings(daily_window_hours=window.low - 1))
    assert SPECS["daily_window_hours"].allowed == window.allowed


def test_a_range_refuses_a_default_outside_it() -> None:
    with pytest.raises(ValueError, match="outside"):
        Range(5, 120, 600)
    assert limits.SECONDS.clamp(600) == 120 and limits.POINTS.clamp(1) == 10


def test_readme_and_env_example_state_the_declared_ranges() -> None:
    """The settings table, the admin command's line and deploy/.env.example's comments say what the code allows."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    example = (PROJECT_ROOT / "deploy" / ".env.example").read_text(encoding="utf-8").splitlines()
    ranged = {name.upper(): r for r, name, _ in QUIZ_RANGES.values()} | {"QUIZ_REVEAL_SECONDS": limits.REVEAL_SECONDS}
    for name, declared in ranged.items():
        (row,) = [line for line in readme if line.startswith(f"| `{name}` |")]
        assert f"({declared.allowed})" in row, row
        (line,) = [i for i, text in enumerate(example) if text.startswith(f"{name}=")]
        comment = example[line - 1]
        assert comment.startswith("#") and comment.endswith(f": {declared.allowed}."), comment
    (admin,) = [line for line in readme if line.startswith("| `/ketamine-admin settings set ")]
    for key in (*QUIZ_RANGES, "daily_window_hours"):
        declared = QUIZ_RANGES[key][0] if key in QUIZ_RANGES else limits.DAILY_WINDOW_HOURS
        assert f"({declared.low}–{declared.high}" in admin, key


# Migration 009 on rows written under the old ranges ------------------------------------------------------------

SESSION = (
    "INSERT INTO quiz_sessions (id, guild_id, channel_id, starter_id, module, question_count, seconds, points, "
    "speed_bonus, seed, state, position, created_ms, updated_ms, kind, closes_ms, version, results_message_id) "
    "VALUES (?, 1, ?, 0, 'ketamine', ?, ?, ?, 1, 42, ?, 0, 1000, 1000, ?, ?, 3, ?)"
)


async def count(db: Database, table: str) -> int:
    row = await db.fetch_one(f"SELECT COUNT(*) AS n FROM {table}")
    assert row is not None
    return int(row["n"])


async def test_migration_009_moves_old_rows_into_range_and_keeps_their_children(
    tmp_path: Path, database_url: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(tmp_path, database_url=database_url)
    for module, folder in (("database", migrator.SQLITE), ("postgres", migrator.POSTGRES)):
        monkeypatch.setattr(f"bot.storage.{module}.available", lambda *_, f=folder: migrator.available(f)[:8])
    db = await open_database(settings)
    try:
        assert await db.schema_version() == 8
        await db.write(SESSION, (7, 20, 1, 600, 5, "asking", "daily", 99_999, None))  # a question of the day
        await db.write(SESSION, (8, 21, 50, 1, 10_000, "finished", "quiz", None, 555))
        await db.write("INSERT INTO quiz_questions (session_id, position, question_id) VALUES (7, 0, 'q1')")
        await db.write(
            "INSERT INTO quiz_answers (session_id, position, user_id, guild_id, topic, choice, correct, points, "
            "answered_ms) VALUES (7, 0, 11, 1, 'overview', 0, 1, 10, 1500)"
        )
        await db.write("INSERT INTO daily_posts (channel_id, day, session_id, created_ms) VALUES (20, 'd', 7, 1)")
    finally:
        await db.close()
    monkeypatch.undo()

    db = await open_database(settings)
    try:
        assert await db.schema_version() == migrator.latest_version()
        columns = ("id", "question_count", "seconds", "points", "state", "kind", "closes_ms", "version")
        rows = await db.fetch_all(f"SELECT {', '.join(columns)}, results_message_id FROM quiz_sessions ORDER BY id")
        assert [tuple(r[c] for c in (*columns, "results_message_id")) for r in rows] == [
            (7, 1, 120, 10, "asking", "daily", 99_999, 3, None),
            (8, 50, 5, 1000, "finished", "quiz", None, 3, 555),
        ]
        assert [await count(db, t) for t in ("quiz_questions", "quiz_answers", "daily_posts")] == [1, 1, 1]
        if db.dialect == "sqlite":
            enforced = await db.fetch_one("PRAGMA foreign_keys")
            assert enforced is not None and enforced[0] == 1, "foreign keys are on again after migrating"
        with pytest.raises(sqlite3.IntegrityError):  # the new CHECK holds
            await db.write(SESSION, (9, 22, 1, limits.SECONDS.low - 1, 100, "asking", "quiz", None, None))
        await db.write(SESSION, (9, 22, 1, 20, 100, "asking", "quiz", None, None))
        with pytest.raises(sqlite3.IntegrityError):  # and so does the partial unique index: one running quiz a channel
            await db.write(SESSION, (10, 22, 1, 20, 100, "lobby", "quiz", None, None))
        await db.write("DELETE FROM quiz_sessions WHERE id = 7")
        assert [await count(db, t) for t in ("quiz_questions", "quiz_answers", "daily_posts")] == [0, 0, 0], (
            "the children's foreign keys point at the rebuilt table and still cascade"
        )
    finally:
        await db.close()
