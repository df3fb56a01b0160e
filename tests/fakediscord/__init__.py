"""A fake Discord (REST + gateway) on 127.0.0.1 for end-to-end tests with the real discord.py client.

See README.md in this directory.
"""

from .discordpy import configure_discord_py, pointed_at
from .fake import DEFAULT_MEMBER_ID, FIRST_GUILD, FakeDiscord
from .gateway import GatewayClosed
from .interactions import InteractionHandle, InteractionRecord
from .netguard import NetworkGuardError, install_network_guard
from .records import APIError, RecordedError, Upload

__all__ = [
    "DEFAULT_MEMBER_ID",
    "FIRST_GUILD",
    "APIError",
    "FakeDiscord",
    "GatewayClosed",
    "InteractionHandle",
    "InteractionRecord",
    "NetworkGuardError",
    "RecordedError",
    "Upload",
    "configure_discord_py",
    "install_network_guard",
    "pointed_at",
]
