"""Loopback-only network guard: any connect (or UDP send, or DNS lookup of a real name) leaving the machine
raises ``OSError("test network guard: ...")`` before a single packet is sent. AF_UNIX is untouched.

It listens to the interpreter's audit events (PEP 578: ``socket.connect``, which ``connect_ex`` raises too,
``socket.sendto`` and ``socket.getaddrinfo``) instead of replacing socket and asyncio methods: every way to a
connection passes there, asyncio's and aiohttp's included, and nothing of the standard library is reassigned.
An audit hook cannot be removed, so one hook is added per process and ``install_network_guard`` only switches
it on; the function it returns switches it off again.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
import sys
from collections.abc import Callable
from typing import Any

_MESSAGE = "test network guard: refusing {what} {target!r} (tests may only talk to 127.0.0.0/8 or ::1)"
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


class NetworkGuardError(OSError):
    """Raised instead of touching a non-loopback address."""


def is_loopback_host(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if not isinstance(host, str):
        return False
    host = host.strip("[]").split("%", 1)[0].lower()
    if host in _LOCAL_NAMES or host.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def check_address(family: int, address: Any, what: str = "to connect to") -> None:
    """Raise unless ``address`` is loopback. Non-IP families (AF_UNIX, netlink, ...) are always allowed."""
    if family not in (socket.AF_INET, socket.AF_INET6):
        return
    if isinstance(address, tuple) and address and is_loopback_host(address[0]):
        return
    raise NetworkGuardError(errno.EACCES, _MESSAGE.format(what=what, target=address))


def _may_resolve(host: object) -> bool:
    if host is None or is_loopback_host(host):
        return True
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if not isinstance(host, str):
        return True
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return host.lower() == socket.gethostname().lower()
    return True  # a literal IP: no lookup traffic; the connect guard decides


_installed = 0
"""How many ``install_network_guard`` calls are not undone yet; the hook refuses while this is above 0."""
_hooked = False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    """Called by the interpreter for every audited event of this process, in every thread."""
    if not _installed or not event.startswith("socket."):
        return
    if event == "socket.connect":
        sock, address = args
        check_address(sock.family, address)
    elif event == "socket.sendto":
        sock, address = args
        check_address(sock.family, address, what="to send to")
    elif event == "socket.getaddrinfo" and not _may_resolve(args[0]):
        raise socket.gaierror(socket.EAI_NONAME, _MESSAGE.format(what="to resolve", target=args[0]))


def install_network_guard() -> Callable[[], None]:
    """Refuse every non-loopback connect, send and lookup from now on. Returns a function that stops that."""
    global _installed, _hooked
    if not _hooked:
        sys.addaudithook(_audit)
        _hooked = True
    _installed += 1
    undone = False

    def uninstall() -> None:
        global _installed
        nonlocal undone
        if not undone:
            undone = True
            _installed -= 1

    return uninstall
