"""Facts about this installation that adapters record and read: the heartbeat the health check reads, and the
command tree last pushed to Discord (so a start syncs only when the commands changed).

Adapters reach storage only through services; this is that door for the two facts they own.
"""

from __future__ import annotations

from bot.storage.repositories.meta import HEARTBEAT_KEY, MetaRepository


class InstallationFacts:
    def __init__(self, meta: MetaRepository) -> None:
        self._meta = meta

    async def heartbeat(self, now_ms: int) -> None:
        """The bot is connected now: ``python -m bot health`` reads this."""
        await self._meta.set(HEARTBEAT_KEY, str(now_ms))

    async def synced_commands(self, scope: str) -> str | None:
        """The hash of the command tree last pushed for ``scope`` (an application and a server, or global)."""
        return await self._meta.get(f"command_tree_hash:{scope}")

    async def remember_synced_commands(self, scope: str, tree_hash: str) -> None:
        await self._meta.set(f"command_tree_hash:{scope}", tree_hash)
