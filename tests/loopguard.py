"""No SQL on the event loop: every statement issued from the main thread by screen code
while an app runs is a failure.

Installed for every test (conftest). A statement counts as the screens' when a frame of a
`screens` module is on the calling stack in the main thread, the thread Textual's event
loop runs in: screens must read and write through thread workers (`screens.base`). Test
code that checks the database itself, and thread workers, are not affected.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


@dataclass
class LoopGuard:
    """What the guard saw: statements issued on the event loop by screen code."""

    violations: list[str] = field(default_factory=list)
    counting: bool = False
    on_loop: int = 0
    """Statements from the main thread with a screens frame on the stack (any test)."""


def _screen_frame() -> str | None:
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if name == "screens" or name.startswith("screens."):
            return f"{name}:{frame.f_lineno} {frame.f_code.co_name}"
        frame = frame.f_back  # type: ignore[assignment]
    return None


@contextmanager
def loop_guard() -> Iterator[LoopGuard]:
    """Record (and fail) SQL issued on the event-loop thread by screen code."""
    guard = LoopGuard()

    def before(*_args: Any, **_kwargs: Any) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        where = _screen_frame()
        if where is None:
            return
        guard.on_loop += 1
        guard.violations.append(where)
        raise AssertionError(f"SQL on the event loop, from {where}: use a thread worker")

    event.listen(Engine, "before_cursor_execute", before)
    try:
        yield guard
    finally:
        event.remove(Engine, "before_cursor_execute", before)
