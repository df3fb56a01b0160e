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


class SettingWrite(BaseModel):
    """The outcome of a set: the value before (None when the default was in force) and whether it was stored."""

    model_config = ConfigDict(frozen=True)

    old: str | None
    changed: bool


class SettingsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def values(self, guild_id: int) -> dict[str, str]:
        rows = await self._db.fetch_all("SELECT key, value FROM server_settings WHERE guild_id = ?", (guild_id,))
        return {str(r["key"]): str(r["value"]) for r in rows}

    async def change(
        self, guild_id: int, user_id: int, key: str, value: str, now_ms: int, default: str
    ) -> SettingWrite:
        """Store a value and its audit row in one transaction, unless it is what the setting already is.

        ``default`` is the stored form of the value in force when the server never set this key. The check and
        the write share the transaction, so two admins setting the same value at once record one change.
        """
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "SELECT value FROM server_settings WHERE guild_id = ? AND key = ?", (guild_id, key)
            )
            row = await cursor.fetchone()
            await cursor.close()
            old = None if row is None else str(row[0])
            if (default if old is None else old) == value:
                return SettingWrite(old=old, changed=False)
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
        return SettingWrite(old=old, changed=True)

    async def history(self, guild_id: int, offset: int, limit: int) -> list[SettingChange]:
        """One page of a server's changes, newest first (ties broken by insertion order, so pages never overlap)."""
        rows = await self._db.fetch_all(
            "SELECT user_id, key, old_value, new_value, changed_ms FROM settings_audit WHERE guild_id = ? "
            "ORDER BY changed_ms DESC, id DESC LIMIT ? OFFSET ?",
            (guild_id, limit, offset),
        )
        return [SettingChange.model_validate(dict(r)) for r in rows]

    async def history_size(self, guild_id: int) -> int:
        row = await self._db.fetch_one("SELECT COUNT(*) AS n FROM settings_audit WHERE guild_id = ?", (guild_id,))
        return 0 if row is None else int(row["n"])
