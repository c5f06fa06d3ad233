"""Throw-away Dovecot and PostgreSQL servers for integration tests.

Plain Python (no pytest import): :mod:`tests.servers.fixtures` wraps these in pytest fixtures.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
from pathlib import Path

__all__ = [
    "POLL_INTERVAL",
    "ServerUnavailable",
    "free_ports",
    "make_workdir",
    "port_listening",
    "require_binary",
    "require_traversable",
    "wait_for_listen",
    "wait_for_port",
]

POLL_INTERVAL = 0.02
"""Seconds between two polls while waiting for a server (never sleep longer than this)."""


class ServerUnavailable(RuntimeError):
    """A test server cannot be started here (binary missing, not root, start failed)."""

    def __init__(self, reason: str) -> None:
        """Keep *reason* as the message and as the ``reason`` attribute."""
        super().__init__(reason)
        self.reason = reason


def require_binary(name: str, hint: str) -> str:
    """Return the absolute path of executable *name*, or raise :class:`ServerUnavailable`."""
    path = shutil.which(name)
    if path is None:
        path = next(
            (str(p) for p in (Path("/usr/sbin") / name, Path("/sbin") / name) if p.is_file()),
            None,
        )
    if path is None:
        raise ServerUnavailable(f"{name} not found ({hint})")
    return path


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """Return *count* distinct TCP ports on *host* that were free a moment ago."""
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((host, 0))
            sockets.append(sock)
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def wait_for_port(host: str, port: int, timeout: float) -> bool:
    """Poll until *host*:*port* accepts a TCP connection; ``False`` when *timeout* runs out."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL_INTERVAL)


def port_listening(host: str, port: int) -> bool | None:
    """Whether a socket LISTENs on IPv4 *host*:*port*, read from ``/proc/net/tcp``.

    Unlike a probe connection this makes the server do nothing (Dovecot would spawn a login
    process for it). ``None`` when ``/proc/net/tcp`` cannot be read (not Linux).
    """
    wanted = f"{socket.inet_aton(host)[::-1].hex().upper()}:{port:04X}"
    try:
        lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return None
    listen_state = "0A"
    return any(
        fields[1] == wanted and fields[3] == listen_state
        for fields in (line.split() for line in lines)
        if len(fields) > 3
    )


def wait_for_listen(host: str, port: int, timeout: float) -> bool:
    """Poll until *host*:*port* is in LISTEN state; ``False`` when *timeout* runs out.

    Falls back to :func:`wait_for_port` (a probe connection) where ``/proc`` is missing.
    """
    deadline = time.monotonic() + timeout
    while True:
        state = port_listening(host, port)
        if state is None:
            return wait_for_port(host, port, max(0.0, deadline - time.monotonic()))
        if state:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_INTERVAL)


def make_workdir(prefix: str) -> Path:
    """Create a fresh world-traversable temp dir for a server (its users must reach it).

    The parent is ``$BACKUPCHECKS_SERVERS_DIR`` when set, else the system temp dir; pytest's
    own ``tmp_path`` lives under a 0700 folder that ``nobody``/``postgres`` cannot enter.
    """
    parent = os.environ.get("BACKUPCHECKS_SERVERS_DIR") or None
    if parent is not None:
        Path(parent).mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    path.chmod(0o755)
    return path


def require_traversable(path: Path) -> None:
    """Raise :class:`ServerUnavailable` unless every folder above *path* is world-searchable.

    Dovecot's mail processes run as ``nobody`` and PostgreSQL as ``postgres``: both must be
    able to walk down to their folders inside *path*.
    """
    for folder in [path.resolve(), *path.resolve().parents]:
        if not folder.stat().st_mode & 0o001:
            raise ServerUnavailable(
                f"{folder} is not searchable by other users (mode "
                f"{folder.stat().st_mode & 0o777:o}); put the server's workdir elsewhere "
                "(BACKUPCHECKS_SERVERS_DIR)"
            )
