"""What the tutor export reads: a server's answers counted per question and per topic, and the members who chose to
be named in it (``name_sharing``), with their own counts."""

from __future__ import annotations

from bot.storage.database import Database
from bot.storage.engine import Row

Counts = tuple[int, int, int]
"""Answers, right answers, members who answered."""

_ANSWERS = (
    "FROM quiz_answers a JOIN quiz_questions q ON q.session_id = a.session_id AND q.position = a.position "
    "JOIN quiz_sessions s ON s.id = a.session_id WHERE a.guild_id = ? AND s.module = ?"
)


def _counts(row: Row) -> Counts:
    return int(row["answers"]), int(row["correct"] or 0), int(row["members"])


class TutorRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def by_question(self, guild_id: int, module: str) -> dict[str, Counts]:
        rows = await self._db.fetch_all(
            "SELECT q.question_id AS key, COUNT(*) AS answers, SUM(a.correct) AS correct, "
            f"COUNT(DISTINCT a.user_id) AS members {_ANSWERS} GROUP BY q.question_id",
            (guild_id, module),
        )
        return {str(r["key"]): _counts(r) for r in rows}

    async def by_topic(self, guild_id: int, module: str) -> dict[str, Counts]:
        rows = await self._db.fetch_all(
            "SELECT a.topic AS key, COUNT(*) AS answers, SUM(a.correct) AS correct, "
            f"COUNT(DISTINCT a.user_id) AS members {_ANSWERS} GROUP BY a.topic",
            (guild_id, module),
        )
        return {str(r["key"]): _counts(r) for r in rows}

    async def named(self, guild_id: int, module: str) -> list[tuple[int, str, str, Counts]]:
        """(user id, display name, topic, counts) of each member who chose to be named here, per topic, by name."""
        rows = await self._db.fetch_all(
            "SELECT m.display_name AS name, a.user_id AS user_id, a.topic AS topic, COUNT(*) AS answers, "
            "SUM(a.correct) AS correct, 1 AS members "
            "FROM quiz_answers a JOIN quiz_sessions s ON s.id = a.session_id "
            "JOIN name_sharing n ON n.guild_id = a.guild_id AND n.user_id = a.user_id "
            "JOIN members m ON m.guild_id = a.guild_id AND m.user_id = a.user_id "
            "WHERE a.guild_id = ? AND s.module = ? "
            "GROUP BY m.display_name, a.user_id, a.topic ORDER BY m.display_name, a.user_id, a.topic",
            (guild_id, module),
        )
        return [(int(r["user_id"]), str(r["name"]), str(r["topic"]), _counts(r)) for r in rows]

    # Name sharing ---------------------------------------------------------------------------------

    async def share_name(self, guild_id: int, user_id: int, share: bool, now_ms: int) -> bool:
        """Turn a member's naming in this server's export on or off; False when it already was so."""
        async with self._db.transaction() as conn:
            if share:
                cursor = await conn.execute(
                    "INSERT INTO name_sharing (guild_id, user_id, since_ms) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                    (guild_id, user_id, now_ms),
                )
            else:
                cursor = await conn.execute(
                    "DELETE FROM name_sharing WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
                )
            return cursor.rowcount == 1

    async def sharing_since(self, guild_id: int, user_id: int) -> int | None:
        row = await self._db.fetch_one(
            "SELECT since_ms FROM name_sharing WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
        )
        return None if row is None else int(row["since_ms"])
