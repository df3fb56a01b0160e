"""Reports on quiz questions and the questions a server hid; each moderator's action recorded in the server's
settings history (``settings_audit``) in the same transaction as the action itself."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from bot.storage.database import Database
from bot.storage.engine import Connection


class StoredReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    guild_id: int
    module: str
    question_id: str
    content_version: str
    user_id: int
    body: str
    created_ms: int
    status: str
    handled_by: int | None
    handled_ms: int | None
    note: str | None


class ReportCounts(BaseModel):
    """One question's reports in a server, by outcome, and the note of the one handled last."""

    model_config = ConfigDict(frozen=True)

    open: int = 0
    resolved: int = 0
    dismissed: int = 0
    last_note: str = ""


class AuditEntry(BaseModel):
    """A moderator's action as the settings history records it."""

    model_config = ConfigDict(frozen=True)

    user_id: int
    key: str
    old_value: str
    new_value: str
    changed_ms: int


_COLUMNS = (
    "id, guild_id, module, question_id, content_version, user_id, body, created_ms, status, handled_by, handled_ms, "
    "note"
)


class ModerationRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add_report(
        self, guild_id: int, module: str, question_id: str, version: str, user_id: int, body: str, now_ms: int
    ) -> int | None:
        """Store a report; None when the member already has an open one on this question here."""
        rows = await self._db.write(
            "INSERT INTO question_reports (guild_id, module, question_id, content_version, user_id, body, "
            "created_ms) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
            (guild_id, module, question_id, version, user_id, body, now_ms),
        )
        return int(rows[0]["id"]) if rows else None

    async def open_count(self, guild_id: int, user_id: int) -> int:
        row = await self._db.fetch_one(
            "SELECT COUNT(*) AS n FROM question_reports WHERE guild_id = ? AND user_id = ? AND status = 'open'",
            (guild_id, user_id),
        )
        return 0 if row is None else int(row["n"])

    async def open_reports(self, guild_id: int, module: str, question_id: str | None = None) -> list[StoredReport]:
        """A server's open reports in one module (on one question), oldest first."""
        where = "" if question_id is None else " AND question_id = ?"
        params = (guild_id, module) if question_id is None else (guild_id, module, question_id)
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM question_reports WHERE guild_id = ? AND module = ? AND status = 'open'{where} "
            "ORDER BY created_ms, id",
            params,
        )
        return [StoredReport.model_validate(dict(r)) for r in rows]

    async def report(self, guild_id: int, report_id: int) -> StoredReport | None:
        """A report of this server (another server's report is as good as none)."""
        row = await self._db.fetch_one(
            f"SELECT {_COLUMNS} FROM question_reports WHERE guild_id = ? AND id = ?", (guild_id, report_id)
        )
        return None if row is None else StoredReport.model_validate(dict(row))

    async def handle(self, guild_id: int, report_id: int, status: str, note: str, entry: AuditEntry) -> bool:
        """Resolve or dismiss an open report and record it in the history; False when it was not open (handled
        meanwhile by another moderator: only the first one counts)."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE question_reports SET status = ?, handled_by = ?, handled_ms = ?, note = ? "
                "WHERE guild_id = ? AND id = ? AND status = 'open'",
                (status, entry.user_id, entry.changed_ms, note, guild_id, report_id),
            )
            if cursor.rowcount != 1:
                return False
            await _audit(conn, guild_id, entry)
        return True

    async def hide(self, guild_id: int, module: str, question_id: str, entry: AuditEntry) -> bool:
        """Hide a question in a server; False when it already was."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO hidden_questions (guild_id, module, question_id, hidden_by, hidden_ms) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (guild_id, module, question_id, entry.user_id, entry.changed_ms),
            )
            if cursor.rowcount != 1:
                return False
            await _audit(conn, guild_id, entry)
        return True

    async def show(self, guild_id: int, module: str, question_id: str, entry: AuditEntry) -> bool:
        """Show a hidden question again; False when it was not hidden."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM hidden_questions WHERE guild_id = ? AND module = ? AND question_id = ?",
                (guild_id, module, question_id),
            )
            if cursor.rowcount != 1:
                return False
            await _audit(conn, guild_id, entry)
        return True

    async def hidden(self, guild_id: int, module: str | None = None) -> frozenset[str]:
        """The ids of the questions hidden in a server (in one module, or in any)."""
        if module is None:
            rows = await self._db.fetch_all("SELECT question_id FROM hidden_questions WHERE guild_id = ?", (guild_id,))
        else:
            rows = await self._db.fetch_all(
                "SELECT question_id FROM hidden_questions WHERE guild_id = ? AND module = ?", (guild_id, module)
            )
        return frozenset(str(r["question_id"]) for r in rows)

    async def counts(self, guild_id: int, module: str) -> dict[str, ReportCounts]:
        """Every reported question of a module in a server: its reports by outcome and its latest note."""
        rows = await self._db.fetch_all(
            "SELECT question_id, status, COUNT(*) AS n FROM question_reports WHERE guild_id = ? AND module = ? "
            "GROUP BY question_id, status",
            (guild_id, module),
        )
        found: dict[str, dict[str, int]] = {}
        for row in rows:
            found.setdefault(str(row["question_id"]), {})[str(row["status"])] = int(row["n"])
        notes = await self._db.fetch_all(
            "SELECT question_id, note FROM question_reports WHERE guild_id = ? AND module = ? AND note IS NOT NULL "
            "ORDER BY handled_ms, id",
            (guild_id, module),
        )
        last = {str(r["question_id"]): str(r["note"]) for r in notes}  # the latest one wins
        return {
            question: ReportCounts(**by_status, last_note=last.get(question, ""))
            for question, by_status in found.items()
        }


async def _audit(conn: Connection, guild_id: int, entry: AuditEntry) -> None:
    await conn.execute(
        "INSERT INTO settings_audit (guild_id, user_id, key, old_value, new_value, changed_ms) VALUES (?, ?, ?, ?, ?, ?)",
        (guild_id, entry.user_id, entry.key, entry.old_value, entry.new_value, entry.changed_ms),
    )
