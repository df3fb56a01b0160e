"""Point discord.py at another Discord: only used to run against the local fake Discord in tests and benchmarks."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import discord.gateway
import discord.http
import yarl


def _loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def use_local_discord(api_url: str, gateway_url: str) -> None:
    """Route REST and gateway traffic to a fake Discord; refuses anything but a loopback address."""
    for url in (api_url, gateway_url):
        if not _loopback(url):
            raise ValueError(f"{url} is not a loopback address; the override exists only for a local fake Discord")
    discord.http.Route.BASE = api_url.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
