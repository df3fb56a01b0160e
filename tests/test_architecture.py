"""Imports run one way: adapters -> services -> core and storage. The core never imports Discord or SQL."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT

BOT = PROJECT_ROOT / "bot"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def files_under(folder: str) -> list[Path]:
    return sorted((BOT / folder).rglob("*.py"))


@pytest.mark.parametrize(
    ("folder", "forbidden"),
    [
        (
            "core",
            (
                "discord",
                "aiosqlite",
                "sqlite3",
                "bot.storage",
                "bot.services",
                "bot.discord_app",
                "bot.console",
                "bot.settings",
            ),
        ),
        ("storage", ("discord", "bot.services", "bot.discord_app", "bot.console")),
        ("services", ("discord", "bot.discord_app", "bot.console", "bot.settings")),
        ("console", ("discord", "bot.discord_app", "bot.storage")),
        ("discord_app", ("bot.storage", "bot.console")),
    ],
)
def test_layer_does_not_import(folder: str, forbidden: tuple[str, ...]) -> None:
    assert files_under(folder)
    for path in files_under(folder):
        bad = {m for m in imported_modules(path) if any(m == f or m.startswith(f + ".") for f in forbidden)}
        assert not bad, f"{path.relative_to(PROJECT_ROOT)} imports {sorted(bad)}"


def test_sql_lives_only_in_storage() -> None:
    keywords = ("SELECT ", "INSERT INTO", "UPDATE ", "DELETE FROM", "CREATE TABLE")
    for path in BOT.rglob("*.py"):
        if (BOT / "storage") in path.parents:
            continue
        text = path.read_text(encoding="utf-8")
        assert not any(k in text for k in keywords), f"SQL outside storage: {path.relative_to(PROJECT_ROOT)}"


def test_repositories_only_load_and_save() -> None:
    """No background task and no clock in storage: batching, timers and retries are the services' jobs."""
    for path in (BOT / "storage").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for banned in ("create_task", "ensure_future", "asyncio.sleep", "get_running_loop"):
            assert banned not in text, f"{path.relative_to(PROJECT_ROOT)} uses {banned}"


def test_every_delayed_job_runs_on_the_one_scheduler() -> None:
    """Quiz runners, the question of the day, retention and the answer writer are named jobs of one Scheduler."""
    for path in (BOT / "services").rglob("*.py"):
        if path.name == "scheduler.py":
            continue
        text = path.read_text(encoding="utf-8")
        assert "create_task" not in text, f"{path.relative_to(PROJECT_ROOT)} starts its own task"


CHART_LIBRARIES = {"matplotlib", "numpy", "PIL"}
"""matplotlib and the libraries it brings."""


def test_matplotlib_is_imported_only_when_a_chart_is_drawn() -> None:
    """Only the chart drawer imports matplotlib, and only inside the function that draws: importing it at start-up
    would grow every bot's memory for a picture most never draw (tests/e2e/test_charts_e2e.py checks a started bot)."""
    for path in BOT.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        at_top = {m for node in tree.body for m in imported_modules_of(node)}
        anywhere = {m for node in ast.walk(tree) for m in imported_modules_of(node)}
        shown = path.relative_to(PROJECT_ROOT)
        assert not any(m.split(".")[0] in CHART_LIBRARIES for m in at_top), (
            f"{shown} imports a chart library at the top"
        )
        if path != BOT / "services" / "charts.py":
            assert not any(m.split(".")[0] in CHART_LIBRARIES for m in anywhere), f"{shown} imports a chart library"


def imported_modules_of(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module:
        return [node.module]
    return []
