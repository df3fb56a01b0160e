"""Installation facts kept as key/value rows (for example the last synced command-tree hash)."""

from __future__ import annotations

from collections.abc import Mapping

from bot.storage.database import Database, now

HEARTBEAT_KEY = "heartbeat_ms"
"""When a running, connected bot last said so (UTC ms): read by the health check."""


class MetaRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, key: str) -> str | None:
        row = await self._db.fetch_one("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else str(row["value"])

    async def set(self, key: str, value: str) -> None:
        await self.set_many({key: value})

    async def set_many(self, values: Mapping[str, str]) -> None:
        """Several facts in one transaction (a heartbeat and each shard's)."""
        stamp = now()
        async with self._db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO meta (key, value, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                [(key, value, stamp) for key, value in values.items()],
            )
