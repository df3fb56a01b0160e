"""A member's own data (export, deletion) and the deletion of a server's data after the bot left it."""

from __future__ import annotations

from typing import Any

from bot.storage.database import Database

_GUILD_TABLES = (
    "quiz_answers",
    "members",
    "server_settings",
    "settings_audit",
    "study_channels",
    "question_reports",
    "hidden_questions",
    "name_sharing",
    "quiz_sessions",
)
"""Every table holding a server's data, children before parents (answers, questions and daily posts also
go with their sessions through ON DELETE CASCADE)."""


class PrivacyRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def export(self, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """Everything stored about one member, in every server."""
        answers = await self._db.fetch_all(
            "SELECT a.guild_id, s.channel_id, a.session_id, a.position, q.question_id, a.topic, a.choice, "
            "a.correct, a.points, a.answered_ms FROM quiz_answers a "
            "JOIN quiz_sessions s ON s.id = a.session_id "
            "JOIN quiz_questions q ON q.session_id = a.session_id AND q.position = a.position "
            "WHERE a.user_id = ? ORDER BY a.answered_ms",
            (user_id,),
        )
        names = await self._db.fetch_all(
            "SELECT guild_id, display_name, updated_ms FROM members WHERE user_id = ? ORDER BY guild_id", (user_id,)
        )
        started = await self._db.fetch_all(
            "SELECT id, guild_id, channel_id, state, created_ms FROM quiz_sessions WHERE starter_id = ? ORDER BY id",
            (user_id,),
        )
        changes = await self._db.fetch_all(
            "SELECT guild_id, key, old_value, new_value, changed_ms FROM settings_audit WHERE user_id = ? "
            "ORDER BY changed_ms",
            (user_id,),
        )
        reports = await self._db.fetch_all(
            "SELECT id, guild_id, module, question_id, content_version, body, created_ms, status, handled_ms "
            "FROM question_reports WHERE user_id = ? ORDER BY created_ms, id",
            (user_id,),
        )
        sharing = await self._db.fetch_all(
            "SELECT guild_id, since_ms FROM name_sharing WHERE user_id = ? ORDER BY guild_id", (user_id,)
        )
        return {
            "quiz_answers": [dict(r) for r in answers],
            "display_names": [dict(r) for r in names],
            "quizzes_started": [dict(r) for r in started],
            "settings_changes": [dict(r) for r in changes],
            "question_reports": [dict(r) for r in reports],
            "name_shared_in": [dict(r) for r in sharing],
            **await self._review(user_id),
        }

    async def _review(self, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """A member's review cards, every rating they got, and the review sessions kept for them (a day)."""
        cards = await self._db.fetch_all(
            "SELECT module, question_id, state, step, stability, difficulty, due_ms, last_review_ms, reps, lapses "
            "FROM review_cards WHERE user_id = ? ORDER BY module, question_id",
            (user_id,),
        )
        logs = await self._db.fetch_all(
            "SELECT module, question_id, source, rating, reviewed_ms, state, stability, difficulty, due_ms "
            "FROM review_logs WHERE user_id = ? ORDER BY reviewed_ms, id",
            (user_id,),
        )
        sessions = await self._db.fetch_all(
            "SELECT s.id, s.module, s.topic, s.kind, s.created_ms, s.ended_ms, c.position, c.question_id, c.choice, "
            "c.answered_ms, c.rating, c.rated_ms FROM review_sessions s "
            "JOIN review_session_cards c ON c.session_id = s.id WHERE s.user_id = ? ORDER BY s.id, c.position",
            (user_id,),
        )
        return {
            "review_cards": [dict(r) for r in cards],
            "review_logs": [dict(r) for r in logs],
            "review_session_cards": [dict(r) for r in sessions],
        }

    async def forget(self, user_id: int) -> int:
        """Delete a member's answers (so scores and stats), remembered names, reports, name sharing, review cards,
        review logs and review sessions in every server, and take their id off the quizzes they started (starter
        0, as for a question of the day). A server's settings history keeps who changed what: it is that server's
        record of its admins' actions.

        Reports are deleted rather than kept without their author: their text is the member's own words, which can
        name or identify them. What moderators did about a report stays in the settings history (its number, the
        question, the outcome and the moderator's note), which holds none of the member's words."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute("DELETE FROM quiz_answers WHERE user_id = ?", (user_id,))
            removed = cursor.rowcount
            await conn.execute("DELETE FROM members WHERE user_id = ?", (user_id,))
            await conn.execute("DELETE FROM question_reports WHERE user_id = ?", (user_id,))
            await conn.execute("DELETE FROM name_sharing WHERE user_id = ?", (user_id,))
            await conn.execute("UPDATE quiz_sessions SET starter_id = 0 WHERE starter_id = ?", (user_id,))
            for table in ("review_cards", "review_logs", "review_sessions"):  # a session's cards go with it
                await conn.execute(f"DELETE FROM {table} WHERE user_id = ?", (user_id,))
        return removed

    async def server_left(self, guild_id: int, now_ms: int) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO guild_departures (guild_id, left_ms) VALUES (?, ?) ON CONFLICT (guild_id) DO NOTHING",
                (guild_id, now_ms),
            )

    async def server_back(self, guild_id: int) -> None:
        async with self._db.transaction() as conn:
            await conn.execute("DELETE FROM guild_departures WHERE guild_id = ?", (guild_id,))

    async def servers_with_data(self) -> set[int]:
        rows = await self._db.fetch_all(
            "SELECT guild_id FROM quiz_sessions UNION SELECT guild_id FROM server_settings "
            "UNION SELECT guild_id FROM study_channels UNION SELECT guild_id FROM members "
            "UNION SELECT guild_id FROM question_reports UNION SELECT guild_id FROM hidden_questions"
        )
        return {int(r["guild_id"]) for r in rows}

    async def purge_departed(self, before_ms: int) -> list[int]:
        """Delete all data of servers left before ``before_ms``; return their ids."""
        rows = await self._db.fetch_all("SELECT guild_id FROM guild_departures WHERE left_ms < ?", (before_ms,))
        purged = [int(r["guild_id"]) for r in rows]
        for guild_id in purged:
            async with self._db.transaction() as conn:
                for table in _GUILD_TABLES:
                    await conn.execute(f"DELETE FROM {table} WHERE guild_id = ?", (guild_id,))
                await conn.execute("DELETE FROM guild_departures WHERE guild_id = ?", (guild_id,))
        return purged
