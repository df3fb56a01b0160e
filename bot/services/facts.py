"""Facts about this installation that adapters record and read: the heartbeats the health check reads, and the
command tree last pushed to Discord (so a start syncs only when the commands changed).

Adapters reach storage only through services; this is that door for the facts they own.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.storage.repositories.meta import HEARTBEAT_KEY, MetaRepository

SHARD_COUNT_KEY = "shard_count"
"""How many shards the bot last ran as (every process of one bot records the same)."""


def shard_heartbeat_key(shard_id: int) -> str:
    return f"{HEARTBEAT_KEY}:shard:{shard_id}"


class InstallationFacts:
    def __init__(self, meta: MetaRepository) -> None:
        self._meta = meta

    async def heartbeat(self, now_ms: int, shards: Iterable[int] = (), shard_count: int | None = None) -> None:
        """The bot is connected now, with ``shards`` ready (of ``shard_count``): ``python -m bot health`` reads
        this. Each shard has its own heartbeat, so with several processes on one database each process's health
        check looks at its own shards, not at whichever process beat last."""
        facts = {HEARTBEAT_KEY: str(now_ms)}
        if shard_count is not None:
            facts[SHARD_COUNT_KEY] = str(shard_count)
        facts.update({shard_heartbeat_key(shard_id): str(now_ms) for shard_id in shards})
        await self._meta.set_many(facts)

    async def last_heartbeat(self) -> int | None:
        """When any process of the bot last beat (UTC ms)."""
        return _number(await self._meta.get(HEARTBEAT_KEY))

    async def shard_count(self) -> int | None:
        """How many shards the bot last ran as; None before a version that records shards has run."""
        return _number(await self._meta.get(SHARD_COUNT_KEY))

    async def shard_heartbeats(self, shards: Iterable[int]) -> dict[int, int | None]:
        """Each shard's last heartbeat (UTC ms), None for a shard that never beat."""
        return {shard_id: _number(await self._meta.get(shard_heartbeat_key(shard_id))) for shard_id in shards}

    async def synced_commands(self, scope: str) -> str | None:
        """The hash of the command tree last pushed for ``scope`` (an application and a server, or global)."""
        return await self._meta.get(f"command_tree_hash:{scope}")

    async def remember_synced_commands(self, scope: str, tree_hash: str) -> None:
        await self._meta.set(f"command_tree_hash:{scope}", tree_hash)


def _number(value: str | None) -> int | None:
    return int(value) if value is not None and value.lstrip("-").isdigit() else None
