"""Shared fixtures. The fake Discord and the loopback-only network guard live in tests/fakediscord.

Storage and service tests run twice, on SQLite and on PostgreSQL (ids ``sqlite`` and ``postgres``), through the
``database_url`` fixture: ``None`` for a fresh SQLite file in the test's folder, or the URL of a fresh database on
the session's PostgreSQL server (tests/postgres.py). Without PostgreSQL the ``postgres`` cases skip, saying how
to install it; with ``REQUIRE_POSTGRES=1`` (CI) they fail instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.services.bundle import Services
from bot.services.router import Router
from bot.storage.connect import open_database
from bot.storage.engine import Database
from tests.helpers import make_settings, without_postgres
from tests.postgres import PostgresMissing, PostgresServer, find_binaries
from tests.quizkit import FakeClock, RecordingPublisher
from tests.servicekit import service_graph

pytest_plugins = ["tests.fakediscord.pytest_plugin"]


_started: list[PostgresServer] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for server in _started:
        terminalreporter.write_line(f"PostgreSQL test server ({server.binaries}) started in {server.started_in:.2f} s")


@pytest.fixture(scope="session")
def postgres_server(request: pytest.FixtureRequest) -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole run, on a unix socket; stopped by its PID when the run ends."""
    try:
        server = PostgresServer(find_binaries())
        request.addfinalizer(server.stop)  # before start: a half-started server is stopped and removed too
        server.start()
    except PostgresMissing as exc:
        without_postgres(exc)
    _started.append(server)
    yield server


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request: pytest.FixtureRequest) -> AsyncIterator[str | None]:
    """The engine under test: None (SQLite in the test's folder) or a fresh PostgreSQL database's URL."""
    if request.param == "sqlite":
        yield None
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = await server.create_database()
    try:
        yield server.url(name)
    finally:
        await server.release_database(name)


@pytest.fixture
async def postgres_url(postgres_server: PostgresServer) -> AsyncIterator[str]:
    """A fresh database on the session's PostgreSQL server (tests that run on PostgreSQL only)."""
    name = await postgres_server.create_database()
    try:
        yield postgres_server.url(name)
    finally:
        await postgres_server.release_database(name)


@pytest.fixture
async def db(tmp_path: Path, database_url: str | None) -> AsyncIterator[Database]:
    """A fresh, migrated database on each engine."""
    database = await open_database(make_settings(tmp_path, database_url=database_url))
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
async def second(tmp_path: Path, database_url: str | None, db: Database) -> AsyncIterator[Database]:
    """Another handle on the ``db`` fixture's database, as a second bot process has."""
    other = await open_database(make_settings(tmp_path, database_url=database_url))
    try:
        yield other
    finally:
        await other.close()


@pytest.fixture
async def services(tmp_path: Path, database_url: str | None) -> AsyncIterator[Services]:
    """Every use case over a fresh database, wired by the production factory, with a hand-moved clock and a
    recording publisher."""
    settings = make_settings(tmp_path, database_url=database_url)
    async with service_graph(settings, FakeClock(), RecordingPublisher()) as bundle:
        yield bundle


@pytest.fixture
async def router(tmp_path: Path) -> AsyncIterator[Router]:
    """The router as the bot wires it (``Services.create``): every command, not only the content's."""
    async with service_graph(make_settings(tmp_path), FakeClock(), RecordingPublisher()) as services:
        yield services.router
