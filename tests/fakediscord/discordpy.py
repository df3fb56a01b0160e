"""Point the real discord.py at a fake: ``Route.BASE`` (REST) and ``DiscordWebSocket.DEFAULT_GATEWAY``.

discord.py is imported lazily, so loading the pytest plugin does not import it (and its audioop warning)
before pytest's warning filters are in place.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import yarl


def configure_discord_py(api_base: str, gateway_url: str) -> None:
    """Make every discord.py client in this process talk to ``api_base`` / ``gateway_url``.

    Usable from a bot subprocess (e.g. read the two URLs from environment variables before ``bot.start``).
    Route objects compute their URL at construction, so call this before the client does anything.
    """
    import discord.gateway
    import discord.http

    discord.http.Route.BASE = api_base.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


@contextmanager
def pointed_at(api_base: str, gateway_url: str) -> Iterator[None]:
    """``configure_discord_py`` for the duration of a ``with`` block, restoring the previous values after."""
    import discord.gateway
    import discord.http

    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    configure_discord_py(api_base, gateway_url)
    try:
        yield
    finally:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway
