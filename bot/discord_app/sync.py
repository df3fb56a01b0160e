"""Sync the command tree only when it changed since the last recorded sync (or when asked)."""

from __future__ import annotations

import hashlib
import json
import logging
from enum import Enum
from typing import Any

import discord
from discord import app_commands

from bot.services.facts import InstallationFacts

log = logging.getLogger(__name__)


class SyncMode(Enum):
    AUTO = "auto"
    FORCE = "force"
    SKIP = "skip"


def tree_hash(tree: app_commands.CommandTree[Any], guild: discord.abc.Snowflake | None) -> str:
    payload = [command.to_dict(tree) for command in tree.get_commands(guild=guild)]
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()


async def sync_tree(
    tree: app_commands.CommandTree[Any],
    facts: InstallationFacts,
    application_id: int,
    mode: SyncMode,
    dev_guild_id: int | None,
) -> bool:
    """Push the commands to Discord if needed; return whether a sync happened."""
    if mode is SyncMode.SKIP:
        log.info("command sync skipped (--no-sync)")
        return False
    guild = discord.Object(id=dev_guild_id) if dev_guild_id else None
    if guild is not None:
        tree.copy_global_to(guild=guild)
    scope = f"guild:{dev_guild_id}" if dev_guild_id else "global"
    key = f"{application_id}:{scope}"
    current = tree_hash(tree, guild)
    if mode is SyncMode.AUTO and await facts.synced_commands(key) == current:
        log.info("commands unchanged since the last sync (%s); not syncing", scope)
        return False
    synced = await tree.sync(guild=guild)
    await facts.remember_synced_commands(key, current)
    log.info("synced %d top-level commands (%s)", len(synced), scope)
    return True
