"""Jobs: work due at a time that exactly one of the bot's processes must do (a quiz's reveal, its results, the
question-of-the-day schedule), claimed under a lease.

A claim sets ``claimed_by`` (a process's worker id) and ``lease_until_ms``; the holder extends the lease while it
lives, and a lease that has run out makes the job claimable again, so a process that died loses nothing. Every
time here comes in as an argument (storage reads no clock).

On PostgreSQL, claiming due jobs locks the candidate rows with ``FOR UPDATE SKIP LOCKED``: two processes claiming
at once never wait for each other and never get the same row. SQLite serves one process and its write
transaction (``BEGIN IMMEDIATE``) already takes them one at a time; the statements are otherwise the same, so both
engines pass the same contract tests.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from bot.storage.engine import Database

_COLUMNS = "kind, job_key, guild_id, due_ms, claimed_by, lease_until_ms, attempts"

SCHEDULE_SQL = (
    "INSERT INTO jobs (kind, job_key, guild_id, due_ms) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (kind, job_key) DO UPDATE SET due_ms = excluded.due_ms, guild_id = excluded.guild_id"
)
"""The job exists and is due at ``due_ms``; whoever holds it keeps holding it. Also written inside a quiz save's
own transaction (``quiz.QuizRepository.flush``), so a quiz's move and when its next move is due commit together."""


@dataclass(frozen=True)
class JobDue:
    """When a job is next due, staged to be written with other changes (see ``SCHEDULE_SQL``)."""

    kind: str
    key: int
    guild_id: int | None
    due_ms: int | None

    @property
    def params(self) -> tuple[str, int, int | None, int | None]:
        return self.kind, self.key, self.guild_id, self.due_ms


@dataclass(frozen=True)
class JobRow:
    kind: str
    key: int
    guild_id: int | None
    """The server whose process should do it; None: any process."""
    due_ms: int | None
    """When it is due; None: parked until the process holding its server takes it."""
    claimed_by: str | None
    lease_until_ms: int | None
    attempts: int
    """Claims since it last ran to an outcome (a failing job is retried later and later)."""

    @property
    def ident(self) -> tuple[str, int]:
        return self.kind, self.key


def _row(row: Any) -> JobRow:
    return JobRow(
        kind=str(row["kind"]),
        key=int(row["job_key"]),
        guild_id=None if row["guild_id"] is None else int(row["guild_id"]),
        due_ms=None if row["due_ms"] is None else int(row["due_ms"]),
        claimed_by=None if row["claimed_by"] is None else str(row["claimed_by"]),
        lease_until_ms=None if row["lease_until_ms"] is None else int(row["lease_until_ms"]),
        attempts=int(row["attempts"]),
    )


class JobRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        # The one statement that differs: SQLite has no row locks (its write transaction is the lock).
        self._skip_locked = " FOR UPDATE SKIP LOCKED" if db.dialect == "postgresql" else ""

    async def get(self, kind: str, key: int) -> JobRow | None:
        row = await self._db.fetch_one(f"SELECT {_COLUMNS} FROM jobs WHERE kind = ? AND job_key = ?", (kind, key))
        return None if row is None else _row(row)

    async def all(self) -> list[JobRow]:
        rows = await self._db.fetch_all(f"SELECT {_COLUMNS} FROM jobs ORDER BY kind, job_key")
        return [_row(r) for r in rows]

    async def schedule(self, kind: str, key: int, guild_id: int | None, due_ms: int | None) -> None:
        """The job exists and is due at ``due_ms``; whoever holds it keeps holding it."""
        await self._db.write(SCHEDULE_SQL, (kind, key, guild_id, due_ms))

    async def hold(
        self,
        kind: str,
        key: int,
        guild_id: int | None,
        due_ms: int | None,
        worker: str,
        lease_until_ms: int,
        now_ms: int,
        *,
        force: bool = False,
    ) -> bool:
        """Claim one job by its key (creating it, due at ``due_ms``, if it does not exist): when nobody holds it,
        its holder's lease ran out, or ``worker`` holds it already. ``force`` takes it whoever holds it (a process
        taking back its servers' quizzes at start-up: the holder was its own earlier run). Its due time stays."""
        condition = "" if force else " WHERE jobs.claimed_by IS NULL OR jobs.claimed_by = ? OR jobs.lease_until_ms <= ?"
        params: tuple[Any, ...] = (kind, key, guild_id, due_ms, worker, lease_until_ms)
        rows = await self._db.write(
            f"INSERT INTO jobs (kind, job_key, guild_id, due_ms, claimed_by, lease_until_ms) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (kind, job_key) DO UPDATE SET claimed_by = excluded.claimed_by, "
            f"lease_until_ms = excluded.lease_until_ms{condition} RETURNING claimed_by",
            params if force else (*params, worker, now_ms),
        )
        return bool(rows)

    async def claim_due(
        self, worker: str, now_ms: int, lease_until_ms: int, limit: int, accept: Callable[[JobRow], bool]
    ) -> list[JobRow]:
        """Claim up to ``limit`` jobs that are due (or parked) and held by nobody (or by a lease that ran out), of
        those ``accept`` takes; the rest stay as they were. Earliest due first, parked ones last."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                f"SELECT {_COLUMNS} FROM jobs WHERE (due_ms <= ? OR due_ms IS NULL) "
                "AND (claimed_by IS NULL OR lease_until_ms <= ?) "
                f"ORDER BY due_ms IS NULL, due_ms LIMIT ?{self._skip_locked}",
                (now_ms, now_ms, limit),
            )
            candidates: list[JobRow] = []
            while (row := await cursor.fetchone()) is not None:
                candidates.append(_row(row))
            await cursor.close()
            chosen = [job for job in candidates if accept(job)]
            for job in chosen:
                await conn.execute(
                    "UPDATE jobs SET claimed_by = ?, lease_until_ms = ?, attempts = attempts + 1 "
                    "WHERE kind = ? AND job_key = ?",
                    (worker, lease_until_ms, job.kind, job.key),
                )
        return [
            replace(job, claimed_by=worker, lease_until_ms=lease_until_ms, attempts=job.attempts + 1) for job in chosen
        ]

    async def extend(self, worker: str, lease_until_ms: int) -> set[tuple[str, int]]:
        """Extend every lease ``worker`` holds, in one statement; return the jobs it still holds."""
        rows = await self._db.write(
            "UPDATE jobs SET lease_until_ms = ? WHERE claimed_by = ? RETURNING kind, job_key", (lease_until_ms, worker)
        )
        return {(str(r["kind"]), int(r["job_key"])) for r in rows}

    async def release(
        self, kind: str, key: int, worker: str, due_ms: int | None, *, keep_due: bool = False, succeeded: bool = True
    ) -> bool:
        """Let go of a job ``worker`` holds, due again at ``due_ms`` (``keep_due``: as it was). ``succeeded``: it ran
        to an outcome, so its failure count starts again. False when ``worker`` did not hold it."""
        due = "due_ms" if keep_due else "?"
        attempts = "0" if succeeded else "attempts"
        params: Sequence[Any] = (kind, key, worker) if keep_due else (due_ms, kind, key, worker)
        rows = await self._db.write(
            f"UPDATE jobs SET claimed_by = NULL, lease_until_ms = NULL, due_ms = {due}, attempts = {attempts} "
            "WHERE kind = ? AND job_key = ? AND claimed_by = ? RETURNING job_key",
            params,
        )
        return bool(rows)

    async def release_all(self, worker: str) -> int:
        """Let go of everything ``worker`` holds (a clean shutdown: others need not wait for the leases)."""
        rows = await self._db.write(
            "UPDATE jobs SET claimed_by = NULL, lease_until_ms = NULL WHERE claimed_by = ? RETURNING job_key",
            (worker,),
        )
        return len(rows)

    async def complete(self, kind: str, key: int) -> None:
        """The work is done for good (a quiz over and announced): the job goes."""
        await self._db.write("DELETE FROM jobs WHERE kind = ? AND job_key = ?", (kind, key))

    async def next_wake(self, worker: str, now_ms: int, grace_ms: int) -> int | None:
        """The first moment after ``now_ms`` at which a job may become claimable for ``worker``: a due time, the end
        of another holder's lease, or a due time plus ``grace_ms`` (when a job its server's process left undone
        may be taken by any process). None when nothing is scheduled."""
        row = await self._db.fetch_one(
            "SELECT MIN(t) AS t FROM ("
            "SELECT CASE WHEN claimed_by IS NULL OR lease_until_ms <= due_ms THEN due_ms ELSE lease_until_ms END AS t "
            "FROM jobs WHERE due_ms IS NOT NULL AND (claimed_by IS NULL OR claimed_by <> ?) "
            "UNION ALL SELECT due_ms + ? AS t FROM jobs WHERE claimed_by IS NULL AND due_ms IS NOT NULL"
            ") AS upcoming WHERE t > ?",
            (worker, grace_ms, now_ms),
        )
        return None if row is None or row["t"] is None else int(row["t"])
