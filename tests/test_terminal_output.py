"""What the real app writes to a real terminal when every mail is hostile.

The app (`backupchecks-tui`, the installed entry point) runs in a pseudo-terminal on a
database holding the synthetic hostile mails of tests.hostile_mails. The test drives it
with keys through every pane and dialog — Run Checks (jobs, runs, detail), the help, the
override dialog, the customer prompt, a ticket, a link, a remark, the export prompt, the
audit log, Daily Jobs and a job's history, Tickets (Markdown), Remarks, Overrides, the
Inbox with its mails and its prompt, the notices along the way — reads every byte the app
writes and asserts that none of the mails' escape sequences, C1 controls, bidi or
zero-width characters is among them, while their text is shown literally.

The app's own escape sequences are fine; the mails' are told apart by content: their
payloads carry unique markers (MK-…) and characters Textual never writes.
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import shutil
import struct
import subprocess
import sys
import termios
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from backupchecks_tui.database import open_database
from backupchecks_tui.ingest.pipeline import Origin, Pipeline
from parsers import Registry
from tests.hostile_mails import (
    CLIPBOARD_B64,
    FORBIDDEN_CHARACTERS,
    all_hostile_mails,
)
from tests.mailfactory import SyntheticParser

ROWS, COLUMNS = 50, 160
GUARD_SECONDS = 60
"""Only a guard against a hung app (the test fails naming the step it waited for); no
assertion is made on how long anything takes."""

CTRL_S = "\x13"
CTRL_Q = "\x11"


class Terminal:
    """The master side of a pseudo-terminal the app runs in: send keys, read all output."""

    def __init__(self, fd: int, process: subprocess.Popen[bytes]) -> None:
        self.fd = fd
        self.process = process
        self.output = bytearray()
        self.mark = 0

    def _read(self, wait: float) -> bool:
        """Read what is there (waiting up to `wait` for something); False at EOF."""
        ready, _, _ = select.select([self.fd], [], [], wait)
        if not ready:
            return True
        try:
            chunk = os.read(self.fd, 1 << 16)
        except OSError:  # EIO: the app closed the terminal
            return False
        self.output.extend(chunk)
        return bool(chunk)

    def expect(self, *texts: str) -> None:
        """Read until every one of `texts` was written since the last key."""
        wanted = [text.encode() for text in texts]
        deadline = _monotonic() + GUARD_SECONDS
        while not all(w in self.output[self.mark :] for w in wanted):
            if _monotonic() > deadline or not self._read(0.5):
                missing = [w for w in wanted if w not in self.output[self.mark :]]
                seen = _plain(bytes(self.output[self.mark :]))[-3000:]
                pytest.fail(f"the app never showed {missing!r}; it showed:\n{seen}")

    def press(self, keys: str, *then: str) -> None:
        """Send `keys`, then wait for `then` to appear."""
        self.mark = len(self.output)
        os.write(self.fd, keys.encode())
        if then:
            self.expect(*then)

    def type(self, text: str) -> None:
        """Type `text` one key at a time (each one echoed before the next)."""
        for char in text:
            self.press(char)

    def read_to_end(self) -> None:
        """Read until the app exits and closes the terminal."""
        deadline = _monotonic() + GUARD_SECONDS
        while self._read(0.5):
            if _monotonic() > deadline:
                pytest.fail("the app did not exit")


def _plain(output: bytes) -> str:
    """`output` without escape sequences, for a failure message."""
    text = re.sub(rb"\x1b\[[0-9;?<>=$]*[A-Za-z~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)", b" ", output)
    return re.sub(r" {2,}", " ", text.decode("utf-8", "replace"))


def _monotonic() -> float:
    import time

    return time.monotonic()


def _database(folder: Path) -> Path:
    """A SQLite database with the hostile mails ingested (synthetic parser)."""
    path = folder / "hostile.db"
    engine = open_database(f"sqlite:///{path}")
    pipeline = Pipeline(engine, Registry([SyntheticParser()]), ZoneInfo("UTC"))
    for n, raw in enumerate(all_hostile_mails()):
        pipeline.ingest(raw, Origin(path=f"hostile-{n}.eml"))
    pipeline.close()
    engine.dispose()
    return path


def _entry_point() -> list[str]:
    """The installed `backupchecks-tui` command of this environment."""
    script = Path(sys.executable).parent / "backupchecks-tui"
    if script.exists():
        return [str(script)]
    found = shutil.which("backupchecks-tui")
    return [found] if found else [sys.executable, "-m", "backupchecks_tui"]


@contextmanager
def running_app(folder: Path) -> Iterator[Terminal]:
    """The real app in a ROWS×COLUMNS pseudo-terminal on the hostile database."""
    config = folder / "config.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{_database(folder)}"\n[ui]\ntimezone = "UTC"\n'
    )
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor"}
    for name in ("NO_COLOR", "TEXTUAL", "TEXTUAL_DRIVER", "TEXTUAL_HEADLESS"):
        env.pop(name, None)
    process = subprocess.Popen(
        [*_entry_point(), "--config", str(config)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=folder,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    terminal = Terminal(master, process)
    try:
        yield terminal
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        os.close(master)


def _drive(term: Terminal) -> None:
    """Open every pane and dialog, the way an operator would."""
    term.expect("runs to review", "MK-MARKUP")
    # Run Checks: the help, then the job with the hostile sender: its customer prompt is
    # prefilled from the sender's domain, and the notice quotes it.
    term.press("?", "escape closes this help")
    term.press("q")
    term.press("j", "Unassigned / job2")
    term.press("c", "Customer for this job", "mk-dom")
    term.press("\r", "Reports from")
    # The failed job: runs, detail, mark as success → the override dialog, saved.
    term.press("k", "Unassigned / job1")
    term.press("\r")
    term.press("\r")
    term.press("s", "Apply an override to future runs?", "Covers in this run")
    term.press(CTRL_S, "saved")
    # A ticket (its description prefilled with the problem objects), a link, a remark.
    term.press("t", "Description (Markdown)")
    term.press(CTRL_S, "Ticket #1 saved")
    term.press("l", "to which ticket?")
    term.press("\r", "linked to ticket #1")
    term.press("m", "New remark for run")
    term.type("note")
    term.press(CTRL_S, "Remark 1 saved")
    term.press("e", "Export the mail to")
    term.press("\r", "Wrote")
    term.press("A", "Audit log")
    term.press("q")
    # Daily Jobs and a job's history.
    term.press("2", "roll-up")
    term.press("\r", "schedule:")
    # Tickets (the description as Markdown), Remarks, Overrides.
    term.press("3", "Description", "Timeline")
    term.press("4", "Remark 1")
    term.press("5", "overrides")
    # The Inbox: every mail in turn, and its customer prompt.
    term.press("6", "Offer 4", "MK-HTML-ENT")  # newest first: the HTML mail
    term.press("j", "Not a report 4")
    term.press("k", "MK-HTML-ENT")
    term.press("c", "Customer for this sender domain")
    term.type("Hostile")
    term.press("\r", "Mail from")


def test_hostile_mails_never_reach_the_terminal_as_control_sequences(tmp_path: Path) -> None:
    """Every pane and dialog on hostile mails: the terminal gets their text, never their
    escape sequences, C1 controls, bidi or zero-width characters."""
    with running_app(tmp_path) as term:
        _drive(term)
        shown = bytes(term.output)
        term.press(CTRL_Q)
        term.read_to_end()
        exited = term.process.wait(timeout=30)
    everything = bytes(term.output)
    text = shown.decode("utf-8", errors="strict")  # no stray 8-bit bytes either

    # Nothing of the mails' escape sequences: no clipboard write, hyperlink or title (a
    # reason quoting a subject with repr() shows "\x1b]52;…" as text, which is fine).
    oscs = re.findall(r"\x1b\](\d*);?([^\x07\x1b]*)", text)
    assert not [code for code, _ in oscs if code in {"0", "1", "2", "8", "52"}], oscs
    assert not [body for _, body in oscs if CLIPBOARD_B64 in body or "MK-" in body], oscs
    assert "\x1b[99;199H" not in text  # the mail's cursor move (the screen has 50 rows)
    assert "\x1b[31;5m" not in text  # the mail's blinking red
    assert "\x1b[2J\x1b[99" not in text
    # ... the app leaves the alternate screen once, when it quits, not when a mail says so.
    assert "\x1b[?1049l" not in text
    assert everything.count(b"\x1b[?1049l") == 1
    # No C1 control, bidi or zero-width character of the mails.
    leaked = sorted({f"U+{ord(c):04X}" for c in text if c in FORBIDDEN_CHARACTERS})
    assert not leaked
    # And the mails' text is there, literally: markup as typed, bidi marks made visible.
    assert "[bold]MK-MARKUP[/]" in text
    assert "<U+202E>MK-BIDI" in text
    assert "<U+202E>MK-ENT" in text  # &#x202E; in the ticket's Markdown stays visible
    assert exited == 0
