"""Logging set-up: a readable console format (or JSON lines for log collectors), an optional rotating file,
discord.py's HTTP chatter kept at WARNING, and the shards of the process on every line once it runs as several
(so the lines of several processes, collected in one place, say which process wrote them)."""

from __future__ import annotations

import json
import logging
import logging.handlers
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from bot.core.errors import OperatorError
from bot.core.shards import describe_ids
from bot.core.words import noun

TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(shard_tag)s%(name)s: %(message)s"

_shards = ""
"""The process's shards as its lines show them (``0-1/4``); empty while the bot runs as one shard (or none)."""
_tag = ""


def show_shards(ids: Iterable[int], count: int) -> None:
    """From now on every line names the shards this process holds, when the bot runs as more than one."""
    global _shards, _tag
    held = list(ids)
    _shards = f"{describe_ids(held)}/{count}" if count > 1 else ""
    _tag = f"[{noun(len(held), 'shard')} {_shards}] " if _shards else ""


class ShardTag(logging.Filter):
    """Gives every record ``shards`` (``0-1/4``, or "") and ``shard_tag`` (``[shards 0-1/4] ``, or "")."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.shards = _shards
        record.shard_tag = _tag
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, and the traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        shards = getattr(record, "shards", "")
        if shards:
            entry["shards"] = shards
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def _no_voice_warnings(record: logging.LogRecord) -> bool:
    """discord.py warns at every start that voice libraries are missing; this bot never joins voice."""
    return "voice will NOT be supported" not in record.getMessage()


def setup_logging(level: str, *, json_lines: bool = False, file: Path | None = None) -> None:
    formatter: logging.Formatter = JsonFormatter() if json_lines else logging.Formatter(TEXT_FORMAT, "%H:%M:%S")
    console = logging.StreamHandler(sys.stderr)
    console.setFormatter(formatter)
    handlers: list[logging.Handler] = [console]
    if file is not None:
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            rotating = logging.handlers.RotatingFileHandler(file, maxBytes=5_000_000, backupCount=5, encoding="utf-8")
        except OSError as exc:
            raise OperatorError(
                f"LOG_FILE {file}: cannot write there ({exc.strerror or exc}). Choose a folder this user can write "
                "to (in the Docker image: /data/bot.log), or leave LOG_FILE unset to log to standard error only."
            ) from exc
        rotating.setFormatter(JsonFormatter() if json_lines else logging.Formatter(TEXT_FORMAT))
        handlers.append(rotating)
    for handler in handlers:
        handler.addFilter(ShardTag())
    root = logging.getLogger()
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("discord.http").setLevel(logging.WARNING)
    logging.getLogger("discord.client").addFilter(_no_voice_warnings)
    logging.getLogger("aiosqlite").setLevel(logging.WARNING)
