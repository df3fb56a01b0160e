"""Loopback-only network guard: any connect (or UDP send, or DNS lookup of a real name) leaving the machine
raises ``OSError("test network guard: ...")`` before a single packet is sent. AF_UNIX is untouched."""

from __future__ import annotations

import asyncio
import asyncio.selector_events
import errno
import ipaddress
import socket
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


def install_network_guard() -> Callable[[], None]:
    """Patch socket/asyncio so only loopback is reachable. Returns a function that undoes the patches."""
    orig_connect = socket.socket.connect
    orig_connect_ex = socket.socket.connect_ex
    orig_sendto = socket.socket.sendto
    orig_getaddrinfo = socket.getaddrinfo
    selector_loop = asyncio.selector_events.BaseSelectorEventLoop
    orig_sock_connect = selector_loop.sock_connect

    def connect(self: socket.socket, address: Any) -> None:
        check_address(self.family, address)
        return orig_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check_address(self.family, address)
        return orig_connect_ex(self, address)

    def sendto(self: socket.socket, data: Any, *args: Any) -> int:
        if args:
            check_address(self.family, args[-1], what="to send to")
        result: int = orig_sendto(self, data, *args)
        return result

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _may_resolve(host):
            raise socket.gaierror(socket.EAI_NONAME, _MESSAGE.format(what="to resolve", target=host))
        return orig_getaddrinfo(host, *args, **kwargs)

    async def sock_connect(self: asyncio.AbstractEventLoop, sock: socket.socket, address: Any) -> None:
        check_address(sock.family, address)
        return await orig_sock_connect(self, sock, address)  # type: ignore[arg-type]

    socket.socket.connect = connect  # type: ignore[method-assign, assignment]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign, assignment]
    socket.socket.sendto = sendto  # type: ignore[method-assign, assignment]
    socket.getaddrinfo = getaddrinfo
    selector_loop.sock_connect = sock_connect  # type: ignore[method-assign]

    def uninstall() -> None:
        socket.socket.connect = orig_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = orig_connect_ex  # type: ignore[method-assign]
        socket.socket.sendto = orig_sendto  # type: ignore[method-assign]
        socket.getaddrinfo = orig_getaddrinfo
        selector_loop.sock_connect = orig_sock_connect  # type: ignore[method-assign]

    return uninstall
