"""What ingest derives from a mail's bytes alone, and a worker process that does it ahead.

Decoding the mail, its dedupe key, the parse result and the stored columns depend on
the raw bytes only, so a long pass (a first fetch, an import of a folder) can have them
made by one worker process while the writer stores the previous mails: the writer still
stores, commits and counts each mail on its own and in order, exactly as without the
worker; it only finds the parsing done. Any trouble with the worker (it cannot start,
a registry that cannot be sent, a crash) quietly falls back to parsing in-process.

The worker is this module run by the same interpreter (`serve`), talking pickled
frames over its stdin and stdout: it imports only the parsers and the standard library,
so it is ready in a fraction of a second (multiprocessing's spawn would import the
parent's whole main module again: the CLI, the app).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import queue
import subprocess
import sys
import threading
import zlib
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, TypeVar

from backupchecks_tui.ingest.frames import read_frame, write_frame
from backupchecks_tui.safe_text import storable
from parsers import MailView, Outcome, ParseResult, Registry

MAX_KEY = 900
MIN_MAILS = 200
"""Passes expected to be shorter than this are parsed in-process (a worker costs a few
tenths of a second of CPU to start; the writer parses in-process meanwhile)."""
_CHUNK = 16
_FIRST_CHUNK = 2
_WINDOW = 8
"""Chunks in flight: the worker works up to _WINDOW * _CHUNK mails ahead of the writer."""

_READY = b"ready"

T = TypeVar("T")


@dataclass(frozen=True)
class Prepared:
    """A mail decoded and parsed: its dedupe key, stored columns and parse result."""

    key: str
    columns: dict[str, Any]
    """The mail_message columns that come from the mail itself (not from where it was
    found, nor the parse state)."""
    result: ParseResult


def view_of(raw: bytes) -> MailView | None:
    """The decoded mail, or None when even the stdlib cannot read it."""
    try:
        return MailView.from_bytes(raw)
    except Exception:  # noqa: BLE001 - stored as an error with the reason
        return None


# Headers a relay, a delivery agent or a mail client adds or rewrites on the way: the same
# mail saved to a file and fetched over IMAP differs in these (and in line endings) only.
TRANSPORT_HEADERS = frozenset(
    {
        b"received",
        b"return-path",
        b"delivered-to",
        b"envelope-to",
        b"x-envelope-to",
        b"x-envelope-from",
        b"authentication-results",
        b"received-spf",
        b"dkim-signature",
        b"status",
        b"x-status",
        b"x-keywords",
        b"x-uid",
        b"content-length",
        b"lines",
    }
)
TRANSPORT_PREFIXES = (
    b"x-received",
    b"x-original-",
    b"arc-",
    b"x-spam-",
    b"x-virus-",
    b"x-ms-exchange-",
    b"x-forefront-",
    b"x-microsoft-antispam",
    b"x-mozilla-",
)


def _transport(name: bytes) -> bool:
    return name in TRANSPORT_HEADERS or name.startswith(TRANSPORT_PREFIXES)


def normalised(raw: bytes) -> bytes:
    """`raw` with line endings, transport headers and header folding normalised.

    Line endings become LF; an mbox envelope line goes; header fields are unfolded, named
    in lower case, their whitespace collapsed, and the transport headers left out (in
    order otherwise); trailing blank lines of the body go. What remains is what the
    sender wrote, whichever way the mail reached us.
    """
    data = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if data.startswith(b"From "):
        data = data.partition(b"\n")[2]
    head, _, body = data.partition(b"\n\n")
    fields: list[bytes] = []
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += b" " + line.strip()
        else:
            fields.append(line)
    kept: list[bytes] = []
    for field in fields:
        name, colon, value = field.partition(b":")
        lname = name.strip().lower()
        if colon and _transport(lname):
            continue
        kept.append(lname + b":" + b" ".join(value.split()) if colon else field)
    return b"\n".join(kept) + b"\n\n" + body.rstrip(b"\n")


def content_hash(raw: bytes) -> str:
    """The SHA-256 (hex) of the `normalised` mail."""
    return hashlib.sha256(normalised(raw)).hexdigest()


def id_key(message_id: str) -> str:
    """`mid:<Message-ID>` (whitespace folded), `mid-sha256:<digest>` for a long one, or ""."""
    mid = " ".join(message_id.split())
    if not mid:
        return ""
    key = f"mid:{mid}"
    encoded = key.encode("utf-8", "replace")
    if len(key) > MAX_KEY or len(encoded) > MAX_KEY:
        key = "mid-sha256:" + hashlib.sha256(mid.encode("utf-8", "replace")).hexdigest()
    return key


def dedupe_key(message_id: str, raw: bytes) -> str:
    """`<id_key> sha256:<content hash>`, or `sha256:<content hash>` without a Message-ID.

    Both parts count: the same Message-ID with other content (a product or relay that
    reuses them) is another mail; the same content over another path is the same mail.
    """
    digest = "sha256:" + content_hash(raw)
    mid = id_key(message_id)
    return f"{mid} {digest}" if mid else digest


def legacy_key(raw: bytes) -> str:
    """The key a mail without Message-ID had before revision 0003 (hash of the raw bytes)."""
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def key_of(raw: bytes, view: MailView | None) -> str:
    """The dedupe key of `raw` decoded as `view`."""
    return dedupe_key(view.message_id if view else "", raw)


def unreadable() -> ParseResult:
    """The parse result of a mail that could not be decoded at all."""
    return ParseResult(Outcome.ERROR, reason="the mail could not be decoded at all")


def parse(view: MailView | None, registry: Registry) -> ParseResult:
    """The registry's verdict on `view` (an error when the mail could not be decoded)."""
    return registry.parse(view) if view is not None else unreadable()


def mail_columns(raw: bytes, view: MailView | None, key: str) -> dict[str, Any]:
    """The mail_message columns that come from the mail itself."""
    v = view or MailView()
    return {
        "dedupe_key": key,
        "id_key": id_key(v.message_id),
        "content_hash": key.rpartition("sha256:")[2],
        "message_id": storable(v.message_id[:MAX_KEY]),
        "from_addr": storable(v.from_addr[:320]),
        "to_addr": storable(v.to),
        "subject": storable(v.subject),
        "sent_at": v.date,
        "raw_size": len(raw),
        "raw_gz": zlib.compress(raw, 6),
        "text_body": storable(v.text),
        "html_body": storable(v.html),
    }


def prepare(raw: bytes, registry: Registry) -> Prepared:
    """Everything ingest needs from `raw`."""
    return prepare_view(raw, view_of(raw), registry)


def prepare_view(raw: bytes, view: MailView | None, registry: Registry) -> Prepared:
    """Everything ingest needs from `raw`, decoded already as `view` (None: unreadable)."""
    key = key_of(raw, view)
    return Prepared(key, mail_columns(raw, view, key), parse(view, registry))


# --------------------------------------------------------------------------- the worker


def _prepare_chunk(registry: Registry, raws: list[bytes]) -> list[Prepared | None]:
    out: list[Prepared | None] = []
    for raw in raws:
        try:
            out.append(prepare(raw, registry))
        except Exception:  # noqa: BLE001 - the writer parses this one itself (and reports)
            out.append(None)
    return out


def serve() -> None:
    """The worker process: a registry, then chunks of raw mails in, prepared mails out.

    Frames on stdin/stdout (stdout is moved away from stray prints); ends at EOF.
    """
    inp = os.fdopen(os.dup(0), "rb")
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    frame = read_frame(inp)
    if frame is None:
        return
    registry: Registry = pickle.loads(frame)  # noqa: S301 - our own pickle, from our parent
    write_frame(out, _READY)
    while (frame := read_frame(inp)) is not None:
        number, raws = pickle.loads(frame)  # noqa: S301 - as above
        prepared = _prepare_chunk(registry, raws)
        write_frame(out, pickle.dumps((number, prepared), pickle.HIGHEST_PROTOCOL))


class _Worker:
    """One `serve` process with a thread writing its input and one reading its output,
    so the writer never blocks on a full pipe."""

    def __init__(self, registry: bytes) -> None:
        code = (
            f"import sys; sys.path[:] = {sys.path!r}; "
            "from backupchecks_tui.ingest.prepare import serve; serve()"
        )
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and code
            [sys.executable, "-c", code],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._inbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._write, name="prepare-in", daemon=True),
            threading.Thread(target=self._read, name="prepare-out", daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        self._outbox.put(registry)
        self.ready = False
        self.dead = False
        self._sent = self._received = 0

    def _write(self) -> None:
        stdin = self.proc.stdin
        assert stdin is not None
        with suppress(OSError, ValueError):
            while (data := self._outbox.get()) is not None:
                write_frame(stdin, data)
        with suppress(OSError, ValueError):
            stdin.close()

    def _read(self) -> None:
        stdout = self.proc.stdout
        assert stdout is not None
        with suppress(OSError, ValueError):
            while (data := read_frame(stdout)) is not None:
                self._inbox.put(data)
        self._inbox.put(None)

    def is_ready(self) -> bool:
        """Whether the worker has started (never waits)."""
        if not self.ready and not self.dead:
            try:
                message = self._inbox.get_nowait()
            except queue.Empty:
                return False
            self.ready = message == _READY
            self.dead = not self.ready
        return self.ready

    @property
    def idle(self) -> bool:
        """Whether every chunk sent has been received."""
        return self._sent == self._received

    def send(self, raws: list[bytes]) -> int:
        """Queue a chunk of raw mails for the worker; returns the chunk's number."""
        number = self._sent
        self._outbox.put(pickle.dumps((number, raws), pickle.HIGHEST_PROTOCOL))
        self._sent += 1
        return number

    def receive(self, number: int) -> list[Prepared | None] | None:
        """The prepared mails of chunk `number`, the next one due; None when the worker
        died (or answered another chunk, a bug: then it is not trusted again)."""
        data = None if self.dead else self._inbox.get()
        if data is None:
            self.dead = True
            return None
        self._received += 1
        try:
            answered, result = pickle.loads(data)  # noqa: S301 - from our worker
        except Exception:  # noqa: BLE001 - a damaged frame: parse in this process instead
            self.dead = True
            return None
        if answered != number:
            self.dead = True
            return None
        return list(result)

    def stop(self) -> None:
        """End the worker now (nothing it holds is needed)."""
        self._outbox.put(None)
        with suppress(OSError):
            self.proc.kill()
        self.proc.wait()
        for thread in self._threads:
            thread.join(timeout=5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


@dataclass
class _Chunk:
    mails: list[tuple[bytes, Any]]
    number: int | None = None
    """The worker's number for it, once sent."""


class Lookahead:
    """Parses mails ahead of the writer in one worker process, started on demand.

    `stream` yields the mails given, in order, each with its `Prepared` (or None: then
    the caller parses it). Until the worker has started the writer parses in-process;
    from then on the worker works up to _WINDOW chunks ahead. `close` stops the worker;
    a later `stream` starts a new one.
    """

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._worker: _Worker | None = None
        self._failed = False

    def stream(
        self, mails: Iterable[tuple[bytes, T]], expected: int
    ) -> Iterator[tuple[bytes, T, Prepared | None]]:
        """`mails` in order, each with its prepared form when the worker made it.

        An exception raised by `mails` itself is raised after the mails read before it.
        """
        if self._worker is None and (expected < MIN_MAILS or not self._start()):
            for raw, tag in mails:
                yield raw, tag, None
            return
        try:
            yield from self._ahead(iter(mails))
        finally:
            if self._worker is not None and not self._worker.idle:
                self.close()  # left early: its answers to come belong to no one

    def _ahead(
        self, source: Iterator[tuple[bytes, T]]
    ) -> Iterator[tuple[bytes, T, Prepared | None]]:
        window: deque[_Chunk] = deque()
        error: Exception | None = None
        size = _FIRST_CHUNK
        exhausted = False
        while True:
            while not exhausted and len(window) < _WINDOW:
                chunk = _Chunk([])
                try:
                    for item in source:
                        chunk.mails.append(item)
                        if len(chunk.mails) >= size:
                            break
                    else:
                        exhausted = True
                except Exception as exc:  # noqa: BLE001 - raised once the mails before are done
                    error, exhausted = exc, True
                if chunk.mails:
                    window.append(chunk)
                size = _CHUNK
            if not window:
                break
            self._send(window)
            chunk = window.popleft()
            results = self._receive(chunk)
            for (raw, tag), ready in zip(chunk.mails, results, strict=True):
                yield raw, tag, ready
        if error is not None:
            raise error

    def close(self) -> None:
        """Stop the worker."""
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.stop()

    def _start(self) -> bool:
        # One core is the writer's: a worker on a single core only takes turns with it.
        # A frozen app's executable is no Python interpreter to run `serve` with.
        frozen = getattr(sys, "frozen", False)
        if self._failed or frozen or not sys.executable or (os.cpu_count() or 1) < 2:
            return False
        try:
            payload = pickle.dumps(self.registry, pickle.HIGHEST_PROTOCOL)
            self._worker = _Worker(payload)
        except Exception:  # noqa: BLE001 - no worker: parse in-process
            self._failed = True
            return False
        return True

    def _send(self, window: deque[_Chunk]) -> None:
        """Hand the worker the chunks after the head (the head, if not sent, is due now)."""
        worker = self._worker
        if worker is None or not worker.is_ready():
            return
        for chunk in list(window)[1:]:
            if chunk.number is None:
                chunk.number = worker.send([raw for raw, _ in chunk.mails])

    def _receive(self, chunk: _Chunk) -> list[Prepared | None]:
        worker = self._worker
        if chunk.number is not None and worker is not None:
            results = worker.receive(chunk.number)
            if results is not None and len(results) == len(chunk.mails):
                return results
            self._failed = True  # the worker died: parse in-process from here
            self.close()
        return [None] * len(chunk.mails)
