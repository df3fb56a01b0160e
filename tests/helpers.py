"""Small helpers shared by tests: copies of the shipped content to break or extend, and the command line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NoReturn

import pytest

from bot.settings import PROJECT_ROOT, Settings
from tests.postgres import REQUIRE_VARIABLE, PostgresMissing

CONTENT = PROJECT_ROOT / "content"

TOPIC_COMMANDS = ["overview", "uses", "mechanism", "pharmacokinetics", "infusion", "effects", "risks"]
"""The shipped module's topic subcommands, in menu order."""


def copy_content(tmp_path: Path) -> Path:
    """A private copy of the shipped content folder that a test may edit."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target, ignore=shutil.ignore_patterns("README.md"))
    return target


def make_settings(tmp_path: Path, content_dir: Path | None = None, **extra: object) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        discord_token=None,
        database_path=tmp_path / "bot.sqlite3",
        content_dir=content_dir or CONTENT,
        **extra,  # type: ignore[arg-type]
    )


SECOND_MODULE_FILES = {
    "module.yaml": "id: caffeine\nname: Caffeine basics\ndescription: A tiny second module used by the tests\n",
    "sources.yaml": "sources:\n  - key: Test2020\n    short: Test source 2020\n    citation: A. Author. A test citation. 2020.\n",
    "topics/basics.yaml": (
        "id: basics\ncommand: basics\norder: 1\ntitle: Caffeine basics\ndescription: What caffeine is\n"
        "summary: Caffeine is an adenosine-receptor antagonist.\nkeywords: [adenosine]\n"
        "sections:\n  - title: Receptors\n    body: It blocks adenosine receptors.\n    sources: [Test2020]\n"
        "key_facts:\n  - text: It is a methylxanthine.\n    sources: [Test2020]\n"
    ),
}


def add_second_module(content_dir: Path) -> None:
    for name, text in SECOND_MODULE_FILES.items():
        path = content_dir / "caffeine" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


BOT_VARIABLES = {
    "DISCORD_TOKEN",
    "DEV_GUILD_ID",
    "CONTENT_DIR",
    "DATABASE_PATH",
    "DATABASE_URL",
    "LOG_FILE",
    "STATE_DIRECTORY",
}
"""Settings a developer's shell may have set; a test of the command line starts from none of them."""


def cli(
    cwd: Path,
    *args: str,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
    database: bool = True,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """``python -m bot ARGS`` as an operator runs it: in ``cwd``, with ``env`` over a clean environment, the
    database in ``cwd`` unless ``database`` is False, and ``stdin`` as piped input (no input: /dev/null)."""
    environment = {k: v for k, v in os.environ.items() if k not in BOT_VARIABLES}
    if database:
        environment["DATABASE_PATH"] = str(cwd / "bot.sqlite3")
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        timeout=timeout,
        check=False,
    )


def without_postgres(exc: PostgresMissing) -> NoReturn:
    """A test that needs PostgreSQL on a machine without it: skipped, saying how to install it; failed instead with
    ``REQUIRE_POSTGRES=1`` (CI sets it), where a missing PostgreSQL must not pass unnoticed."""
    if os.environ.get(REQUIRE_VARIABLE) == "1":
        pytest.fail(f"{exc} ({REQUIRE_VARIABLE}=1: PostgreSQL tests may not be skipped)", pytrace=False)
    pytest.skip(str(exc))
