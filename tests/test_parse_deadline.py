"""The per-mail parse deadline: a parse that never ends lands in the Inbox with the reason.

The hanging parser here is synthetic (written for these tests): it runs the textbook
catastrophic pattern `(a+)+$` of Python's backtracking `re` on 64 `a`s and a `b`, which
would take centuries, standing in for any super-linear bug a parser may still have.
The mails are synthetic too (tests.mailfactory). Every test asserts the outcome (which
state and reason the mail gets, that the next mail still parses), never the clock.
"""

from __future__ import annotations

import re
import signal
import threading
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine
from sqlmodel import col, select

from backupchecks_tui.cli import main
from backupchecks_tui.config import parse_config
from backupchecks_tui.errors import ConfigError
from backupchecks_tui.ingest import deadline
from backupchecks_tui.ingest.deadline import BoundedRegistry
from backupchecks_tui.ingest.pipeline import Origin, Pipeline
from backupchecks_tui.services import inbox
from parsers import MailView, Outcome, ParseResult, Registry, Report
from store.engine import read_scope
from store.models import MailMessage
from tests.mailfactory import SyntheticParser, synthetic_mail

ZONE = ZoneInfo("Europe/Amsterdam")
SECONDS = 0.5
REASON = "parse deadline (0.5 s) exceeded"
T = TypeVar("T")


class HangingParser:
    """A synthetic parser with a catastrophic backtracking regex ('[synthetic-hang]' mails)."""

    name = "synthetic-hang"
    product = "synthetic"
    version = "1"
    priority = 0

    def matches(self, mail: MailView) -> bool:
        """Subject starts with [synthetic-hang]."""
        return mail.subject.startswith("[synthetic-hang]")

    def parse(self, mail: MailView) -> list[Report]:  # noqa: ARG002 - the protocol's signature
        """Never returns: exponential backtracking in Python's `re`."""
        re.match(r"(a+)+$", "a" * 64 + "b")
        return []


def hanging_mail(n: int) -> bytes:
    """A synthetic mail that HangingParser takes (and hangs on)."""
    msg = EmailMessage()
    msg["From"] = "Synthetic Hang <hang@customer-a.example>"
    msg["Subject"] = f"[synthetic-hang] report {n}"
    msg["Message-ID"] = f"<synthetic-hang-{n}@test.example>"
    msg.set_content("a synthetic mail whose parser never ends\n")
    return bytes(msg)


def registry(seconds: float | None = SECONDS) -> BoundedRegistry:
    """The synthetic parsers, the hanging one first, bounded by `seconds`."""
    return BoundedRegistry([HangingParser(), SyntheticParser()], seconds)


def in_thread(work: Callable[[], T]) -> T:
    """`work()` run in another thread, as the TUI's fetch and re-parse workers run."""
    out: list[T] = []
    thread = threading.Thread(target=lambda: out.append(work()))
    thread.start()
    thread.join()
    assert out, "the worker thread raised"
    return out[0]


def test_main_thread_overrun_is_an_error_with_the_reason_and_the_next_mail_parses() -> None:
    """CLI import/parse: the alarm stops the parse; the handler and timer are restored."""
    before = signal.getsignal(signal.SIGALRM)
    bounded = registry()
    hung = bounded.parse_bytes(hanging_mail(1))
    assert (hung.outcome, hung.reason) == (Outcome.ERROR, REASON)
    assert bounded.parse_bytes(synthetic_mail(2)).outcome is Outcome.PARSED
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_thread_overrun_kills_the_child_and_the_next_mails_parse() -> None:
    """In a worker thread (no signals) the child process is killed and replaced."""
    bounded = registry()

    def pass_of_three() -> list[ParseResult]:
        raws = [synthetic_mail(1), hanging_mail(2), synthetic_mail(3, status="failed")]
        return [bounded.parse_bytes(raw) for raw in raws]

    try:
        first, hung, last = in_thread(pass_of_three)
    finally:
        bounded.close()
    assert (first.outcome, first.reports[0].job_name) == (Outcome.PARSED, "job-1")
    assert (hung.outcome, hung.reason) == (Outcome.ERROR, REASON)
    assert (last.outcome, last.reports[0].status.value) == (Outcome.PARSED, "failed")


def test_no_deadline_keeps_the_registry_plain() -> None:
    """deadline_seconds = 0 parses in-process without a bound (nothing is started)."""
    bounded = registry(0)
    assert bounded.deadline is None
    assert in_thread(lambda: bounded.parse_bytes(synthetic_mail(1))).outcome is Outcome.PARSED
    assert bounded._child is None


def test_fetch_pass_in_a_thread_stores_the_overrun_in_the_inbox(engine: Engine) -> None:
    """The TUI's fetch path: the hanging mail is stored as an error in the Inbox with the
    reason, and the mails before and after it become runs (SQLite and PostgreSQL)."""
    pipeline = Pipeline(engine, registry(), ZONE)
    raws = [synthetic_mail(1), hanging_mail(2), synthetic_mail(3)]

    def fetch() -> None:
        for n, raw in enumerate(raws, start=1):
            pipeline.ingest(raw, Origin(path=f"mail-{n}.eml"))

    try:
        in_thread(fetch)
    finally:
        pipeline.close()
    rows, total = inbox.list_mails(engine)
    assert total == 1
    assert (rows[0].state, rows[0].reason) == ("error", REASON)
    assert rows[0].subject == "[synthetic-hang] report 2"
    with read_scope(engine) as session:
        states = session.exec(select(MailMessage.parse_state).order_by(col(MailMessage.id)))
        assert list(states) == ["parsed", "error", "parsed"]


def test_cli_import_uses_the_configured_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`import` with [parsing] deadline_seconds: the hanging mail is reported, not waited
    for. Only the built-in parser list is swapped for the synthetic one (no built-in
    parser hangs any more); the config, the CLI and the deadline are the real ones."""
    monkeypatch.setattr(deadline, "default_registry", lambda: Registry(registry().parsers))
    config = tmp_path / "c.toml"
    db = tmp_path / "x.db"
    config.write_text(f"[database]\nurl = 'sqlite:///{db}'\n[parsing]\ndeadline_seconds = 0.5\n")
    for n, raw in enumerate([synthetic_mail(1), hanging_mail(2)]):
        (tmp_path / f"m{n}.eml").write_bytes(raw)
    result = CliRunner().invoke(
        main,
        ["--config", str(config), "import", str(tmp_path / "m0.eml"), str(tmp_path / "m1.eml")],
    )
    # The pass finishes; a mail in error makes the exit status non-zero, as any error.
    assert result.exit_code == 1, result.output
    assert "1 parsed" in result.output and "1 errors" in result.output
    done = CliRunner().invoke(main, ["--config", str(config), "parse", str(tmp_path / "m1.eml")])
    assert REASON in done.output


def test_deadline_setting_is_checked() -> None:
    """The default is 30 s; a negative deadline is a config error naming the key."""
    assert parse_config({}, Path("c.toml")).parsing.deadline_seconds == 30.0
    with pytest.raises(ConfigError, match="deadline_seconds"):
        parse_config({"parsing": {"deadline_seconds": -1}}, Path("c.toml"))
