"""One bot process per SQLite database, refused at start-up with a message that names the way out (PostgreSQL).

SQLite is one file that one process writes; a second bot process on it would run every quiz, reveal and question
of the day twice. So ``python -m bot run`` holds a lock on a file beside the database for as long as it runs: the
operating system releases it when the process ends, however it ends (SIGKILL and power loss included), so a crash
never leaves a stale lock behind. Only ``run`` takes it: ``console``, ``health``, ``backup`` and ``migrate`` read
or copy the database alongside a running bot, as before.

A slice of the shards (``SHARD_IDS``) means other processes hold the rest, so it is refused on SQLite too.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from pydantic import SecretStr

from bot.core.errors import OperatorError
from bot.core.shards import ShardPlan, describe_ids

LOCK_SUFFIX = ".run-lock"
WAY_OUT = (
    "to run the bot as several processes, keep the data in PostgreSQL (DATABASE_URL; see the README, 'Moving to "
    "PostgreSQL' and 'Several processes')"
)


class ProcessSettings(Protocol):
    @property
    def database_url(self) -> SecretStr | None: ...
    @property
    def database_path(self) -> Path: ...
    @property
    def shards(self) -> ShardPlan: ...


class SQLiteInUse(OperatorError):
    """Another bot process runs on this SQLite database."""


def lock_path(database: Path) -> Path:
    """The lock file beside the database (``bot.sqlite3.run-lock``); it stays there, empty of meaning when no
    process holds it."""
    return database.with_name(database.name + LOCK_SUFFIX)


def refuse_a_slice_on_sqlite(settings: ProcessSettings) -> None:
    """A process holding only some shards needs others beside it, which SQLite cannot serve."""
    plan = settings.shards
    if settings.database_url is not None or plan.every_shard:
        return
    assert plan.ids is not None and plan.count is not None
    rest = describe_ids(set(range(plan.count)) - set(plan.ids))
    raise OperatorError(
        f"This process would hold {plan.describe()}, leaving shards {rest} to other processes, but the data is in "
        f"SQLite ({settings.database_path}), which serves one bot process: {WAY_OUT}, or leave SHARD_IDS unset "
        "so this process holds every shard.",
        exit_code=2,
    )


@contextlib.contextmanager
def only_bot_process(settings: ProcessSettings) -> Iterator[None]:
    """Hold the SQLite database's run lock while the block runs; SQLiteInUse if another process holds it. With
    PostgreSQL nothing is locked: several processes share it."""
    if settings.database_url is not None:
        yield
        return
    path = lock_path(settings.database_path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise OperatorError(
            f"Cannot create {path} beside the database ({exc.strerror or exc}): the bot locks it so that no second "
            "bot process runs on the same SQLite file. Give this user write access to that folder."
        ) from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 20, 0).decode("ascii", errors="replace").strip()
            pid = f" (pid {holder})" if holder.isdigit() else ""
            raise SQLiteInUse(
                f"Another bot process{pid} is already running on {settings.database_path}, and SQLite serves one "
                f"bot process. Stop that one first; {WAY_OUT}."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock
