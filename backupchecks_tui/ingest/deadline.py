"""A per-mail parse deadline: a mail whose parsing overruns it goes to the Inbox with the reason.

Built-in patterns are linear and user patterns run on RE2, but one parser bug (a loop, a
super-linear pattern nobody found yet) must still not hang `import`, `fetch`, `parse` or
a re-parse. `BoundedRegistry` is a `Registry` whose `parse` gives up on a mail after
`deadline` seconds with an ERROR result, "parse deadline (N s) exceeded", which the
pipeline stores like any parser error: in the Inbox, re-parseable, and the pass goes on.

How a mail is bounded depends on where it is parsed:
- in the main thread (the CLI, the ingest worker process): SIGALRM interrupts the parse
  (Python code and `re` matching both check for signals);
- in any other thread (the TUI's fetch and re-parse workers), where signals cannot be
  used: the mail is parsed in a child process (`serve`), which is killed and replaced
  when it does not answer in time. When no child can be started (a frozen app, no
  interpreter), the mail is parsed in-process without a bound.
"""

from __future__ import annotations

import dataclasses
import pickle
import queue
import signal
import subprocess
import sys
import threading
import weakref
from collections.abc import Iterable, Sequence
from contextlib import suppress
from types import FrameType
from typing import Any

from backupchecks_tui.config import Config, rule_parsers
from backupchecks_tui.ingest.frames import read_frame, write_frame
from parsers import MailView, Outcome, Parser, ParseResult, Registry, default_registry

DEFAULT_DEADLINE = 30.0
_GRACE = 2.0
"""Seconds the parent waits past the deadline for the child's own (SIGALRM) answer."""
_START_TIMEOUT = 60.0
"""Seconds a child may take to start (import the parsers, load the registry)."""
_READY = b"ready"
_DIED = ParseResult(Outcome.ERROR, reason="the parser process died on this mail")


class DeadlineExceeded(BaseException):
    """Raised into a parse that overran (a BaseException: the registry keeps a parser's
    ordinary exceptions as that parser's failure and would go on to the next parser)."""


def exceeded(seconds: float) -> ParseResult:
    """The result of a mail whose parse overran `seconds`."""
    return ParseResult(Outcome.ERROR, reason=f"parse deadline ({seconds:g} s) exceeded")


class BoundedRegistry(Registry):
    """A registry that bounds each `parse` by `deadline` seconds (None or 0: unbounded)."""

    def __init__(self, parsers: Iterable[Parser], deadline: float | None = DEFAULT_DEADLINE):
        super().__init__(parsers)
        self.deadline = deadline or None
        self._child: _Child | None = None
        self._no_child = False
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        """What a worker process needs: the parsers and the deadline (no child, no lock)."""
        return {"parsers": self.parsers, "deadline": self.deadline}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Rebuild in a worker process (its own child and lock, none yet)."""
        self.__init__(state["parsers"], state["deadline"])  # type: ignore[misc]

    def with_parsers(self, extra: Sequence[Parser]) -> BoundedRegistry:
        """A bounded registry with `extra` parsers added, same deadline."""
        return BoundedRegistry([*self.parsers, *extra], self.deadline)

    def parse(self, mail: MailView) -> ParseResult:
        """The registry's verdict on `mail`, or the deadline's when it overran."""
        if self.deadline is None:
            return super().parse(mail)
        if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
            return self._parse_with_alarm(mail, self.deadline)
        return self._parse_in_child(mail, self.deadline)

    def _parse_with_alarm(self, mail: MailView, seconds: float) -> ParseResult:
        armed = [True]

        def on_alarm(_signum: int, _frame: FrameType | None) -> None:
            if armed[0]:  # an alarm after the parse finished must not break the caller
                raise DeadlineExceeded

        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            result = super().parse(mail)
            armed[0] = False
        except DeadlineExceeded:
            return exceeded(seconds)
        finally:
            armed[0] = False
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        return result

    def _parse_in_child(self, mail: MailView, seconds: float) -> ParseResult:
        # One child per registry, used by one thread at a time (a pass parses in order).
        with self._lock:
            child = self._child_ready()
            if child is None:
                return super().parse(mail)
            answer = child.parse(mail, seconds + _GRACE)
            if answer is None or child.dead:  # killed; the next mail gets a new child
                child.stop()
                self._child = None
            return answer if answer is not None else exceeded(seconds)

    def _child_ready(self) -> _Child | None:
        """The running child, started on first use; None when none can run here."""
        if self._child is None and not self._no_child:
            try:
                self._child = _Child(pickle.dumps(self, pickle.HIGHEST_PROTOCOL))
            except Exception:  # noqa: BLE001 - no child: parse in-process, unbounded
                self._no_child = True
            else:
                # A registry dropped without close() (a pipeline per fetch) ends its child.
                weakref.finalize(self, self._child.stop)
        return self._child

    def close(self) -> None:
        """Stop the child process, if one runs (a later parse starts another)."""
        with self._lock:
            if self._child is not None:
                self._child.stop()
                self._child = None


def registry_for(config: Config) -> BoundedRegistry:
    """The built-in parsers plus the config's rules, bounded by its parse deadline."""
    return bounded(default_registry().with_parsers(rule_parsers(config)), config)


def bounded(registry: Registry, config: Config) -> BoundedRegistry:
    """`registry`'s parsers bounded by the config's parse deadline."""
    return BoundedRegistry(registry.parsers, config.parsing.deadline_seconds)


# ----------------------------------------------------------------- the child process


def serve() -> None:
    """The child: a bounded registry, then mails in, parse results out (until EOF).

    It parses in its main thread, so the registry's alarm bounds each mail here too;
    the parent's own timeout is the backstop for a parse that does not see the alarm.
    """
    import os  # noqa: PLC0415 - only the child needs it

    inp = os.fdopen(os.dup(0), "rb")
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print must not corrupt the frames
    frame = read_frame(inp)
    if frame is None:
        return
    registry: Registry = pickle.loads(frame)  # noqa: S301 - our own pickle, from our parent
    write_frame(out, _READY)
    while (frame := read_frame(inp)) is not None:
        mail: MailView = pickle.loads(frame)  # noqa: S301 - as above
        result = registry.parse(mail)
        write_frame(out, pickle.dumps(result, pickle.HIGHEST_PROTOCOL))


class _Child:
    """One `serve` process and a thread reading its answers (so waits can time out)."""

    def __init__(self, registry: bytes) -> None:
        if getattr(sys, "frozen", False) or not sys.executable:
            raise RuntimeError("no interpreter to run a parse child with")
        code = (
            f"import sys; sys.path[:] = {sys.path!r}; "
            "from backupchecks_tui.ingest.deadline import serve; serve()"
        )
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and code
            [sys.executable, "-c", code],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._answers: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self.dead = False
        self._reader = threading.Thread(target=self._read, name="parse-child", daemon=True)
        self._reader.start()
        if not (self._send(registry) and self._answer(_START_TIMEOUT) == _READY):
            self.stop()
            raise RuntimeError("the parse child did not start")

    def _read(self) -> None:
        stdout = self.proc.stdout
        assert stdout is not None
        with suppress(OSError, ValueError):
            while (data := read_frame(stdout)) is not None:
                self._answers.put(data)
        self._answers.put(None)

    def _send(self, data: bytes) -> bool:
        stdin = self.proc.stdin
        assert stdin is not None
        try:
            write_frame(stdin, data)
        except (OSError, ValueError):
            return False
        return True

    def _answer(self, timeout: float) -> bytes | None:
        try:
            data = self._answers.get(timeout=timeout)
        except queue.Empty:
            return None
        self.dead = data is None
        return data

    def parse(self, mail: MailView, timeout: float) -> ParseResult | None:
        """The child's result for `mail`; None when it did not answer within `timeout`
        (an ERROR result when it died on the mail: `dead` is then set)."""
        # A fresh copy: the fields only, not cached parse trees (which do not pickle).
        payload = pickle.dumps(dataclasses.replace(mail), pickle.HIGHEST_PROTOCOL)
        data = self._answer(timeout) if self._send(payload) else None
        if data is None:
            return _DIED if self.dead or not self._alive() else None
        try:
            result = pickle.loads(data)  # noqa: S301 - from our child
        except Exception:  # noqa: BLE001 - a damaged frame: the child is not trusted again
            result = None
        if not isinstance(result, ParseResult):
            self.dead = True
            return _DIED
        return result

    def _alive(self) -> bool:
        alive = self.proc.poll() is None
        self.dead = self.dead or not alive
        return alive

    def stop(self) -> None:
        """Kill the child now (whatever it was doing is given up)."""
        with suppress(OSError):
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                with suppress(OSError):
                    stream.close()
        self._reader.join(timeout=5)
