"""The network guard from conftest really refuses non-loopback connections."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading

import netguard
import pytest
from helpers import TESTS_DIR


def test_connecting_outside_loopback_raises() -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        with pytest.raises(netguard.BlockedConnection, match=r"10\.255\.255\.1"):
            sock.connect(("10.255.255.1", 80))
        with pytest.raises(netguard.BlockedConnection):
            sock.connect_ex(("10.255.255.1", 80))
    finally:
        sock.close()
    with pytest.raises(netguard.BlockedConnection):
        socket.create_connection(("10.255.255.1", 80), timeout=1)
    with pytest.raises(netguard.BlockedConnection):
        socket.create_connection(("pypi.org", 443), timeout=1)  # refused before any DNS lookup
    with pytest.raises(netguard.BlockedConnection):
        socket.socket(socket.AF_INET6).connect(("2001:db8::1", 80, 0, 0))
    assert len(netguard.attempts) == 5
    netguard.attempts.clear()  # these were deliberate


def test_loopback_and_unix_sockets_still_work(tmp_path) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    accepted = threading.Thread(target=lambda: server.accept()[0].close())
    accepted.start()
    with socket.create_connection(("localhost", port), timeout=5):
        pass
    accepted.join(5)
    server.close()

    path = str(tmp_path / "s.sock")
    unix_server = socket.socket(socket.AF_UNIX)
    unix_server.bind(path)
    unix_server.listen(1)
    client = socket.socket(socket.AF_UNIX)
    client.connect(path)
    client.close()
    unix_server.close()
    assert netguard.is_local(("127.8.9.10", 1)) and netguard.is_local(("::1", 1, 0, 0))
    assert netguard.is_local(("::ffff:127.0.0.1", 1, 0, 0))
    assert not netguard.is_local(("128.0.0.1", 1)) and not netguard.is_local(("0.0.0.0", 1))


def test_subprocess_guard_reports_on_stderr() -> None:
    code = (
        "import socket\n"
        "try:\n socket.create_connection(('10.255.255.1', 80), timeout=1)\n"
        "except Exception as e:\n print(type(e).__name__)"
    )
    env = os.environ | {"PYTHONPATH": str(TESTS_DIR / "netguard_site")}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.stdout.strip() == "BlockedConnection"
    assert "netguard: blocked connection" in done.stderr
