"""Logging: readable text or JSON lines, an optional rotating file, discord.py's HTTP logger kept quiet."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.logs import setup_logging


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_lines_to_a_rotating_file(tmp_path: Path) -> None:
    log_file = tmp_path / "logs" / "bot.log"
    setup_logging("INFO", json_lines=True, file=log_file)
    assert logging.getLogger("discord.http").level == logging.WARNING
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("bot.test").exception("unexpected error %s", "E-ABC123")
    for handler in logging.getLogger().handlers:
        handler.flush()
    (line,) = log_file.read_text(encoding="utf-8").splitlines()
    entry = json.loads(line)
    assert entry["level"] == "ERROR" and entry["logger"] == "bot.test"
    assert entry["message"] == "unexpected error E-ABC123" and "ValueError: boom" in entry["traceback"]


def test_text_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("WARNING")
    logging.getLogger("bot.test").info("hidden")
    logging.getLogger("bot.test").warning("shown")
    err = capsys.readouterr().err
    assert "hidden" not in err and "WARNING bot.test: shown" in err
