"""A throwaway PostgreSQL server for the test run: one per session, a fresh database per test.

It listens on a unix socket in its own temporary folder only (``listen_addresses=''``: no TCP port, nothing
another machine could reach), runs without fsync (its data dies with it; the benchmark asks for a durable one),
and is stopped by its PID. A small watchdog process holds a pipe to this one: when the test run ends in any way
(a finished session, Ctrl-C, a pytest-timeout ``os._exit``, SIGKILL) the pipe closes, and the watchdog stops the
server and removes its folder, so nothing is ever left running.

``initdb`` refuses to run as root; as root the server runs as the ``postgres`` user (``runuser``).
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg

from tests.pgwatchdog import stop_server

INSTALL_HINT = (
    "apt-get install postgresql-15 (Debian/Ubuntu), or set PG_BIN to the folder holding initdb, pg_ctl and postgres"
)
REQUIRE_VARIABLE = "REQUIRE_POSTGRES"
"""Set to 1 (CI does, in .ci/run) to make a missing PostgreSQL fail the run instead of skipping its tests."""


class PostgresMissing(Exception):
    """No usable PostgreSQL binaries (the message says how to get them)."""


def find_binaries() -> Path:
    """The folder with ``initdb``, ``pg_ctl`` and ``postgres``: PG_BIN, then the PATH, then Debian's layout."""
    wanted = ("initdb", "pg_ctl", "postgres")
    if configured := os.environ.get("PG_BIN"):
        folder = Path(configured)
        if all((folder / name).is_file() for name in wanted):
            return folder
        raise PostgresMissing(f"PG_BIN={configured} does not hold initdb, pg_ctl and postgres; {INSTALL_HINT}")
    candidates: list[Path] = []
    if found := shutil.which("pg_ctl"):
        candidates.append(Path(found).resolve().parent)
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: _version(p.parent.name), reverse=True)
    for folder in candidates:
        if all((folder / name).is_file() for name in wanted):
            return folder
    raise PostgresMissing(f"PostgreSQL is not installed: {INSTALL_HINT}")


def _version(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


class PostgresServer:
    """One running server; ``url(name)`` reaches a database on it, ``create_database`` makes a fresh one.

    ``durable=True`` keeps PostgreSQL's own defaults (fsync, synchronous commit, full-page writes): the benchmark
    compares acknowledged-after-commit writes with SQLite's ``synchronous=FULL``, so both must reach the disk.
    The tests leave them off, as their data dies with the server anyway.
    """

    def __init__(self, binaries: Path, *, durable: bool = False) -> None:
        self.binaries = binaries
        self.durable = durable
        # /tmp rather than a long TMPDIR: the socket's path must fit in 107 bytes.
        self.root = Path(tempfile.mkdtemp(prefix="ksb-pg-", dir="/tmp" if Path("/tmp").is_dir() else None))
        self.data = self.root / "data"
        self.pid: int | None = None
        self.started_in: float = 0.0
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._names = itertools.count(1)
        self._free: list[str] = []
        self._as_postgres = os.geteuid() == 0

    def _command(self, *args: str) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *args] if self._as_postgres else list(args)

    def start(self) -> None:
        began = time.perf_counter()
        if self._as_postgres:
            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresMissing(
                    f"the tests run as root and initdb refuses root, but there is no postgres user; {INSTALL_HINT}"
                ) from None
            os.chown(self.root, user.pw_uid, user.pw_gid)
        self._run(
            str(self.binaries / "initdb"), "-D", str(self.data), "--no-sync", "--auth=trust", "--username=postgres",
            "--encoding=UTF8", "--locale=C", "--no-instructions",
        )  # fmt: skip
        options = f"-c listen_addresses='' -k {self.root} -c max_connections=200"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        log = self.root / "server.log"
        self._run(
            str(self.binaries / "pg_ctl"), "-D", str(self.data), "-l", str(log), "-w", "-s", "-o", options, "start"
        )
        self.pid = int((self.data / "postmaster.pid").read_text(encoding="utf-8").split()[0])
        self._watchdog = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).with_name("pgwatchdog.py")),
                str(self.pid),
                str(self.data),
                str(self.root),
            ],
            stdin=subprocess.PIPE,
            start_new_session=True,  # Ctrl-C in the terminal must not stop the watchdog before it has cleaned up
        )
        self.started_in = time.perf_counter() - began

    def _run(self, *args: str) -> None:
        result = subprocess.run(
            self._command(*args), cwd=self.root, capture_output=True, text=True, timeout=60, check=False
        )
        if result.returncode != 0:
            log = self.root / "server.log"
            detail = log.read_text(encoding="utf-8", errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(args[:1])} failed ({result.returncode}): {result.stderr.strip()}\n{detail}")

    def stop(self) -> None:
        """Stop the server by its PID (fast shutdown), wait for it to exit, and remove its folder."""
        if self.pid is not None:
            stop_server(self.pid, str(self.data))
            self.pid = None
        if self._watchdog is not None:
            assert self._watchdog.stdin is not None
            self._watchdog.stdin.close()  # the watchdog finds the server stopped, removes the folder, and exits
            self._watchdog.wait(timeout=30)
            self._watchdog = None
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql://postgres@/{database}?host={self.root}"

    async def create_database(self) -> str:
        """A database of its own for one test: an emptied one a finished test gave back, else a new one.

        CREATE DATABASE copies template1 (100-400 ms here); emptying a used one (its schema dropped and made
        again) takes about 15 ms, and leaves it as new: no tables, sequences or rows.
        """
        if self._free:
            return self._free.pop()
        name = f"test_{next(self._names)}"
        admin = await asyncpg.connect(self.url("postgres"))
        try:
            await admin.execute(f"CREATE DATABASE {name}")
        finally:
            await admin.close()
        return name

    async def release_database(self, name: str) -> None:
        """Empty a finished test's database for the next one, ending connections a failed test left open."""
        conn = await asyncpg.connect(self.url(name))
        try:
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        finally:
            await conn.close()
        self._free.append(name)


async def end_session(url: str, pid: int | None) -> None:
    """What a dead process or a network cut does to a session: the server ends it."""
    assert pid is not None
    conn = await asyncpg.connect(url)
    try:
        assert await conn.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await conn.close()
