"""The benchmark's delay proxy: each direction delayed by half the RTT, bytes in order."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Iterator

import pytest

from bench.delay_proxy import DelayProxy


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(65536):
            self.request.sendall(data)


@pytest.fixture
def echo_port() -> Iterator[int]:
    """A threaded echo server on loopback."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _round_trip(sock: socket.socket, payload: bytes) -> tuple[float, bytes]:
    started = time.perf_counter()
    sock.sendall(payload)
    got = b""
    while len(got) < len(payload):
        chunk = sock.recv(65536)
        assert chunk, "the proxy closed the connection"
        got += chunk
    return time.perf_counter() - started, got


def test_each_round_trip_takes_the_rtt_and_keeps_the_bytes(echo_port: int) -> None:
    proxy = DelayProxy("127.0.0.1", echo_port, rtt_ms=40).start()
    try:
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for n in range(3):
                elapsed, got = _round_trip(sock, f"ping {n}".encode())
                assert got == f"ping {n}".encode()
                assert 0.040 <= elapsed < 1.0
            big = bytes(range(256)) * 4096  # 1 MiB: many chunks, still in order
            elapsed, got = _round_trip(sock, big)
            assert got == big
        assert proxy.connections == 1
    finally:
        proxy.stop()


def test_no_delay_forwards_at_once(echo_port: int) -> None:
    proxy = DelayProxy("127.0.0.1", echo_port, rtt_ms=0).start()
    try:
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as sock:
            elapsed, got = _round_trip(sock, b"hello")
            assert got == b"hello"
            assert elapsed < 0.5
    finally:
        proxy.stop()
