"""Per-server settings and their audit trail."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from bot.storage.database import Database


class SettingChange(BaseModel):
    model_config = ConfigDict(frozen=True)

    user_id: int
    key: str
    old_value: str | None
    new_value: str
    changed_ms: int


class SettingsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def values(self, guild_id: int) -> dict[str, str]:
        rows = await self._db.fetch_all("SELECT key, value FROM server_settings WHERE guild_id = ?", (guild_id,))
        return {str(r["key"]): str(r["value"]) for r in rows}

    async def change(self, guild_id: int, user_id: int, key: str, value: str, now_ms: int) -> str | None:
        """Store a value and its audit row in one transaction; return the old value (None if default)."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT value FROM server_settings WHERE guild_id = ? AND key = ?", (guild_id, key)
            )
            row = await cursor.fetchone()
            await cursor.close()
            old = None if row is None else str(row[0])
            await conn.execute(
                "INSERT INTO server_settings (guild_id, key, value, updated_ms) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (guild_id, key) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms",
                (guild_id, key, value, now_ms),
            )
            await conn.execute(
                "INSERT INTO settings_audit (guild_id, user_id, key, old_value, new_value, changed_ms) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (guild_id, user_id, key, old, value, now_ms),
            )
        return old

    async def history(self, guild_id: int, limit: int = 15) -> list[SettingChange]:
        rows = await self._db.fetch_all(
            "SELECT user_id, key, old_value, new_value, changed_ms FROM settings_audit WHERE guild_id = ? "
            "ORDER BY changed_ms DESC, id DESC LIMIT ?",
            (guild_id, limit),
        )
        return [SettingChange.model_validate(dict(r)) for r in rows]
