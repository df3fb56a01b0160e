"""The test run's PostgreSQL server: skipped with how to install it when missing, a failure instead when CI requires
it, and never left running, even when the test process is killed outright."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bot.settings import PROJECT_ROOT
from tests.pgwatchdog import running
from tests.postgres import PostgresServer

ONE_TEST = "tests/test_database.py::test_a_new_database_is_migrated_to_the_latest_version"


def pytest_run(**env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in {"PG_BIN", "REQUIRE_POSTGRES"}} | env
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", ONE_TEST],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_without_postgresql_its_cases_skip_and_say_how_to_install_it() -> None:
    result = pytest_run(PG_BIN="/nonexistent")
    assert result.returncode == 0, result.stdout
    assert "1 passed, 1 skipped" in result.stdout
    assert (
        "PG_BIN=/nonexistent does not hold initdb, pg_ctl and postgres; apt-get install postgresql-15" in result.stdout
    )


def test_require_postgres_turns_the_skip_into_a_failure() -> None:
    result = pytest_run(PG_BIN="/nonexistent", REQUIRE_POSTGRES="1")
    assert result.returncode == 1, result.stdout
    assert "1 passed, 1 error" in result.stdout
    assert "REQUIRE_POSTGRES=1: PostgreSQL tests may not be skipped" in result.stdout


def test_a_killed_test_process_leaves_no_server_running(postgres_server: PostgresServer) -> None:
    """SIGKILL runs no finalizer: the watchdog notices its pipe close and stops the server by its PID."""
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from tests.postgres import PostgresServer\n"
        "server = PostgresServer(Path(sys.argv[1]))\n"
        "server.start()\n"
        "print(server.pid, server.root, flush=True)\n"
        "time.sleep(120)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(postgres_server.binaries)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        pid_text, root_text = child.stdout.readline().split()
        pid, root = int(pid_text), Path(root_text)
        assert running(pid) and root.is_dir()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    deadline = time.monotonic() + 30
    while (running(pid) or root.exists()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not running(pid), "the server was stopped"
    assert not root.exists(), "its folder was removed"


def test_the_session_server_listens_on_a_unix_socket_only(postgres_server: PostgresServer) -> None:
    settings = (postgres_server.data / "postmaster.opts").read_text(encoding="utf-8")
    assert "listen_addresses=" in settings and (postgres_server.root / ".s.PGSQL.5432").exists()
    lines = (postgres_server.data / "postmaster.pid").read_text(encoding="utf-8").splitlines()
    assert int(lines[0]) == postgres_server.pid
    if len(lines) > 5:
        assert lines[5].strip() == "", "no TCP address (line 6 of postmaster.pid is the listen address)"
