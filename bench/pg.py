"""The PostgreSQL side of the benchmark: one throwaway server per benchmark run, a fresh database per bot process.

The server is the tests' own (``tests.postgres.PostgresServer``: a unix socket in its own folder, as the
``postgres`` user when run as root, a watchdog that stops it if this process dies), started with PostgreSQL's
durable defaults so an answer click is acknowledged after a commit that reached the disk, as on SQLite with
``synchronous=FULL``. Its CPU is counted apart from the bot's: on SQLite the database work is inside the bot
process, on PostgreSQL most of it is in the server's backends.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

from tests.postgres import PostgresMissing, PostgresServer, find_binaries

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class BenchPostgres:
    """A started server: ``database_url()`` for each study-bot process, ``cpu_seconds()`` for its CPU so far."""

    def __init__(self, server: PostgresServer, version: str) -> None:
        self.server = server
        self.version = version

    async def database_url(self) -> str:
        """A new, empty database: every bot process starts from nothing, as it does on SQLite."""
        return self.server.url(await self.server.create_database())

    def cpu_seconds(self) -> float:
        """User + system CPU of the server so far: the postmaster, its live children (backends, WAL writer,
        checkpointer...), and the children it has already reaped."""
        pid = self.server.pid
        if pid is None:
            return 0.0
        total = 0.0
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            fields = _stat_fields(entry.name)
            if fields is None:
                continue
            if entry.name == str(pid):
                total += sum(int(v) for v in fields[11:15])  # utime, stime, cutime, cstime
            elif fields[1] == str(pid):
                total += int(fields[11]) + int(fields[12])
        return total / CLOCK_TICKS


def _stat_fields(pid: str) -> list[str] | None:
    """/proc/<pid>/stat after the command name (field 3, the state, first); None once the process is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
            text = stat.read()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


@contextlib.contextmanager
def postgres_for_bench() -> Iterator[BenchPostgres | str]:
    """A started durable server, or why there is none (a sentence for the report); stopped however the run ends."""
    try:
        binaries = find_binaries()
    except PostgresMissing as exc:
        yield f"PostgreSQL not measured: {exc}"
        return
    server = PostgresServer(binaries, durable=True)
    try:
        try:
            server.start()
        except (PostgresMissing, RuntimeError, OSError, subprocess.SubprocessError) as exc:
            yield f"PostgreSQL not measured: its server did not start: {exc}"
            return
        yield BenchPostgres(server, _version(binaries))
    finally:
        server.stop()


def _version(binaries: Path) -> str:
    try:
        out = subprocess.run(
            [str(binaries / "postgres"), "--version"], capture_output=True, text=True, timeout=10, check=False
        )
    except OSError:
        return ""
    return out.stdout.strip()
