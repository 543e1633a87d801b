"""Refuse every socket connection that would leave the machine.

Loopback (127.0.0.0/8, ::1, "localhost") and AF_UNIX sockets stay allowed. A refused
connection raises `BlockedConnection` and is recorded in `attempts`, so a library that
swallows the error still fails the test (conftest checks `attempts` after each test).
"""

from __future__ import annotations

import ipaddress
import socket
import sys
from typing import Any

attempts: list[str] = []


class BlockedConnection(RuntimeError):
    """A test tried to reach the network."""


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_create_connection = socket.create_connection
_report_to_stderr = False


def is_local(address: Any, family: int | None = None) -> bool:
    if (family is not None and family == getattr(socket, "AF_UNIX", object())) or isinstance(address, str | bytes):
        return True  # an AF_UNIX path
    host = address[0]
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).split("%", 1)[0]  # IPv6 scope id
    if host.lower() == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False  # any other host name would need a DNS lookup: refuse it
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def _check(address: Any, family: int | None = None) -> None:
    if not is_local(address, family):
        message = f"blocked connection to {address!r}: tests must not use the network"
        attempts.append(message)
        if _report_to_stderr:
            print(f"netguard: {message}", file=sys.stderr, flush=True)
        raise BlockedConnection(message)


def _connect(self: socket.socket, address: Any) -> Any:
    _check(address, self.family)
    return _real_connect(self, address)


def _connect_ex(self: socket.socket, address: Any) -> Any:
    _check(address, self.family)
    return _real_connect_ex(self, address)


def _create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
    _check(address)
    return _real_create_connection(address, *args, **kwargs)


def install(report_to_stderr: bool = False) -> None:
    global _report_to_stderr
    _report_to_stderr = report_to_stderr
    socket.socket.connect = _connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign]
    socket.create_connection = _create_connection


def uninstall() -> None:
    socket.socket.connect = _real_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]
    socket.create_connection = _real_create_connection
