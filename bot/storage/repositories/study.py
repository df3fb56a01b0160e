"""Study-group channels of each server."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from bot.storage.database import Database


class StudyChannel(BaseModel):
    model_config = ConfigDict(frozen=True)

    channel_id: int
    guild_id: int
    topic: str | None
    daily: bool
    added_by: int
    added_ms: int


_COLUMNS = "channel_id, guild_id, topic, daily, added_by, added_ms"


class StudyRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def put(self, channel: StudyChannel) -> bool:
        """Add or update a study channel; False when the channel id belongs to another server's entry."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                f"INSERT INTO study_channels ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (channel_id) DO UPDATE SET topic = excluded.topic, daily = excluded.daily "
                "WHERE study_channels.guild_id = excluded.guild_id",
                (
                    channel.channel_id,
                    channel.guild_id,
                    channel.topic,
                    int(channel.daily),
                    channel.added_by,
                    channel.added_ms,
                ),
            )
            return cursor.rowcount == 1

    async def remove(self, guild_id: int, channel_id: int) -> bool:
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM study_channels WHERE guild_id = ? AND channel_id = ?", (guild_id, channel_id)
            )
            return cursor.rowcount == 1

    async def of_guild(self, guild_id: int) -> list[StudyChannel]:
        rows = await self._db.fetch_all(
            f"SELECT {_COLUMNS} FROM study_channels WHERE guild_id = ? ORDER BY added_ms, channel_id", (guild_id,)
        )
        return [StudyChannel.model_validate(dict(r)) for r in rows]

    async def get(self, channel_id: int) -> StudyChannel | None:
        row = await self._db.fetch_one(f"SELECT {_COLUMNS} FROM study_channels WHERE channel_id = ?", (channel_id,))
        return None if row is None else StudyChannel.model_validate(dict(row))

    async def daily_channels(self) -> list[StudyChannel]:
        rows = await self._db.fetch_all(f"SELECT {_COLUMNS} FROM study_channels WHERE daily = 1 ORDER BY channel_id")
        return [StudyChannel.model_validate(dict(r)) for r in rows]
