"""A TCP proxy on loopback that delays each direction: a database one network hop away.

    proxy = DelayProxy("127.0.0.1", 5432, rtt_ms=10).start()   # a background thread
    ... connect to 127.0.0.1:proxy.port ...
    proxy.stop()

Every chunk read from one side is written to the other `rtt_ms / 2` milliseconds after it
arrived, in order; reading goes on meanwhile, so there is no bandwidth limit, only latency.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Coroutine
from typing import Any

CHUNK = 1 << 16


class DelayProxy:
    """Forward 127.0.0.1:`port` (a free one) to `host`:`upstream_port`, delaying each way."""

    def __init__(self, host: str, upstream_port: int, rtt_ms: float) -> None:
        self.host = host
        self.upstream_port = upstream_port
        self.delay = max(0.0, rtt_ms) / 2000
        self.port = 0
        self.connections = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self) -> DelayProxy:
        """Listen in a daemon thread with its own event loop; return once it accepts."""
        self._thread = threading.Thread(target=self._run, name="delay-proxy", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the delay proxy did not start")
        return self

    def stop(self) -> None:
        """Close the listener and every forwarded connection, and end the thread."""
        loop = self._loop
        if loop is None or self._thread is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop already closed
            asyncio.run_coroutine_threadsafe(self._close(), loop).result(10)
        self._thread.join(10)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._listen())
            self._ready.set()
            loop.run_forever()
        finally:
            loop.close()

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        asyncio.get_running_loop().call_soon(asyncio.get_running_loop().stop)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            upstream_r, upstream_w = await asyncio.open_connection(self.host, self.upstream_port)
        except OSError:
            client_w.close()
            return
        for writer in (client_w, upstream_w):
            sock = writer.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._spawn(self._pipe(client_r, upstream_w))
        self._spawn(self._pipe(upstream_r, client_w))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Read as fast as data comes; a second task writes each chunk once it is due."""
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()
        sender = asyncio.get_running_loop().create_task(self._send(queue, writer))
        try:
            while chunk := await reader.read(CHUNK):
                queue.put_nowait((time.monotonic() + self.delay, chunk))
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            queue.put_nowait((time.monotonic() + self.delay, b""))  # end of stream, in order
            with contextlib.suppress(asyncio.CancelledError, OSError):
                await sender

    async def _send(
        self, queue: asyncio.Queue[tuple[float, bytes]], writer: asyncio.StreamWriter
    ) -> None:
        try:
            while True:
                due, chunk = await queue.get()
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                if not chunk:
                    break
                writer.write(chunk)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()
