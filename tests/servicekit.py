"""The service graph for tests, built by the production factory, and a database double to put under it.

Why the factory (``Services.create``) and never ``QuizService(...)``/``Router(...)`` by hand: a hand-built graph
can miss a service the bot has (the router then knows fewer commands, the quiz no server settings) and go on
passing while the bot itself breaks. Tests change what the bot cannot give them, through injection only: the
clock, the publisher, and here the database (``DatabaseDouble``), never by reassigning a method of a service.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from typing import Any

from bot.services.app import App
from bot.services.bundle import Services
from bot.services.charts import ChartRenderer
from bot.services.clock import Clock
from bot.services.publisher import Publisher
from bot.services.quiz.unit_of_work import UnitOfWorkFactory
from bot.settings import Settings
from bot.storage.engine import Connection, Cursor, Database, Dialect, Row

Statement = Callable[[str, Sequence[Any]], bool]
"""Picks a statement by its SQL and parameters."""


async def open_services(
    settings: Settings,
    clock: Clock,
    publisher: Publisher,
    database: Callable[[Database], Database] | None = None,
    quiz_units: UnitOfWorkFactory | None = None,
    charts: ChartRenderer | None = None,
) -> Services:
    """Open the app (content, migrated database) and wire every use case with ``Services.create``.

    ``database`` wraps the opened database in a double (e.g. ``DatabaseDouble``) before anything uses it;
    ``quiz_units`` puts the quiz on another unit of work (the in-memory fake); ``charts`` draws with a drawer of the
    test's own.
    Nothing is started: a test calls ``services.start()`` or ``quiz.runner.resume_all()`` when it means to.
    """
    app = await App.open(settings)
    if database is not None:
        app = dataclasses.replace(app, db=database(app.db))
    return Services.create(app, clock, publisher, quiz_units, charts)


async def close_services(services: Services) -> None:
    """Stop every task the services run, then close the database."""
    await services.stop()
    await services.app.close()


@contextlib.asynccontextmanager
async def service_graph(settings: Settings, clock: Clock, publisher: Publisher) -> AsyncIterator[Services]:
    services = await open_services(settings, clock, publisher)
    try:
        yield services
    finally:
        await close_services(services)


class DatabaseDouble:
    """The real database, passed straight through, that records what it is asked and can fail a statement.

    ``fail_once``: the chosen statement is not run; its transaction rolls back and the caller gets the error,
    exactly what the code would see had the process died (or the database refused) there. Everything else reaches
    the real database, so the code under test cannot tell the difference.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._faults: list[tuple[Statement, BaseException]] = []
        self.failed: list[str] = []
        """The SQL of each statement failed so far."""
        self.writes: list[str] = []
        """The SQL of each ``write`` (a statement that is its own transaction)."""
        self.transactions = 0
        """Transactions opened with ``transaction()``."""
        self.dead = False
        """Set by ``die``: every later statement fails, as nothing a killed process did after its death is stored."""
        self.on_statement: Callable[[str], None] | None = None
        """Called with the SQL of every statement on its way to the database (to count reads, say)."""
        self.before_write: Callable[[str], None] | None = None
        """Called with each ``write``'s SQL before it runs (to make something happen while it is on its way)."""
        self.writes_on_their_way = 0
        self.most_writes_on_their_way = 0
        """The most ``write`` calls that were waiting for the database's answer at the same time."""

    def fail_once(self, statement: Statement, error: BaseException) -> None:
        """Fail the next statement ``statement`` picks with ``error``."""
        self._faults.append((statement, error))

    def die(self) -> None:
        """The process is SIGKILLed now: from here on no statement of it reaches the database (leases it held are
        not let go; they run out)."""
        self.dead = True

    def check(self, sql: str, params: Sequence[Any]) -> None:
        if self.on_statement is not None:
            self.on_statement(sql)
        if self.dead:
            self.failed.append(sql)
            raise ConnectionError("the process is dead")
        for index, (statement, error) in enumerate(self._faults):
            if statement(sql, params):
                del self._faults[index]
                self.failed.append(sql)
                raise error

    @property
    def dialect(self) -> Dialect:
        return self.db.dialect

    def describe(self) -> str:
        return self.db.describe()

    async def close(self) -> None:
        await self.db.close()

    async def schema_version(self) -> int:
        return await self.db.schema_version()

    async def fetch_one(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        values = tuple(params)
        self.check(sql, values)
        return await self.db.fetch_one(sql, values)

    async def fetch_all(self, sql: str, params: Iterable[Any] = ()) -> Sequence[Row]:
        values = tuple(params)
        self.check(sql, values)
        return await self.db.fetch_all(sql, values)

    async def write(self, sql: str, params: Iterable[Any] = ()) -> Sequence[Row]:
        values = tuple(params)
        self.writes.append(sql)
        self.check(sql, values)
        if self.before_write is not None:
            self.before_write(sql)
        self.writes_on_their_way += 1
        self.most_writes_on_their_way = max(self.most_writes_on_their_way, self.writes_on_their_way)
        try:
            return await self.db.write(sql, values)
        finally:
            self.writes_on_their_way -= 1

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        self.transactions += 1
        async with self.db.transaction() as conn:
            yield _WatchedConnection(conn, self)


class _WatchedConnection:
    """A transaction's connection whose statements go past ``DatabaseDouble.check`` first."""

    def __init__(self, conn: Connection, db: DatabaseDouble) -> None:
        self._conn = conn
        self._db = db

    async def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> Cursor:
        self._db.check(sql, parameters)
        return await self._conn.execute(sql, parameters)

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> object:
        rows = list(parameters)
        for row in rows:
            self._db.check(sql, row)
        return await self._conn.executemany(sql, rows)
