"""Ingest under hostile mail, over a real Dovecot on SQLite and PostgreSQL.

One mail never blocks a folder; a reused Message-ID never hides a later mail; the same
mail by two paths is one mail; after_fetch work cut off by a SIGKILL is finished on the
next pass; a missing move_to folder fails every pass. All mails here are synthetic.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import zlib
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import col, select

from backupchecks_tui.facade import bind
from backupchecks_tui.ingest import files
from backupchecks_tui.ingest.pipeline import IngestStats, Origin, Pipeline
from backupchecks_tui.services import checks, inbox
from parsers import MailView, Registry, Report
from store import migrate
from store.engine import make_engine, session_scope
from store.models import Job, JobRun, MailMessage
from tests.mailfactory import SyntheticParser, synthetic_mail
from tests.servers.dovecot import DovecotServer
from tests.test_fetch_imap import ZONE, Mailbox, fetch, run_cli, stored

HUGE = 2**64
"""A byte count no 64-bit integer column holds (SQLite: OverflowError, PostgreSQL: error)."""


class SizedParser(SyntheticParser):
    """The synthetic parser, also reading a 'size N' body line into the report's size."""

    def parse(self, mail: MailView) -> list[Report]:
        """As SyntheticParser, with `size_bytes` from a 'size N' line."""
        reports = super().parse(mail)
        for line in mail.body.splitlines():
            if line.startswith("size "):
                reports = [replace(r, size_bytes=int(line[5:])) for r in reports]
        return reports


def registry() -> Registry:
    """The registry of these tests."""
    return Registry([SizedParser()])


@pytest.fixture
def mailbox(dovecot_server: DovecotServer) -> Mailbox:
    """A new user with an empty INBOX."""
    name = f"trust-{os.urandom(4).hex()}@example.test"
    dovecot_server.add_user(name, "pw-" + name)
    return Mailbox(dovecot_server, name, "pw-" + name)


def fetch_once(mailbox: Mailbox, engine: Engine, **overrides: object) -> IngestStats:
    """One in-process fetch pass with `registry()`; the pass's counts."""
    from backupchecks_tui.ingest.imap import Fetcher
    from backupchecks_tui.secrets import Secret

    pipeline = Pipeline(engine, registry(), ZONE)
    total = IngestStats()
    for result in Fetcher(
        mailbox.imap_config(**overrides), Secret(mailbox.password), pipeline
    ).run():
        total.merge(result.stats)
    return total


def mails(engine: Engine) -> list[MailMessage]:
    """Every stored mail, in id order."""
    with session_scope(engine) as s:
        found = list(s.exec(select(MailMessage).order_by(col(MailMessage.id))).all())
        s.expunge_all()
        return found


def statuses(engine: Engine) -> list[str]:
    """Every run's status, in id order."""
    with session_scope(engine) as s:
        return list(s.exec(select(JobRun.status).order_by(col(JobRun.id))).all())


# --------------------------------------------------------------- 1. one mail never blocks


def hostile_mail(kind: str) -> bytes:
    """Synthetic mail number 1, made hostile in the way `kind` names."""
    if kind == "size":
        return synthetic_mail(1, body=f"Synthetic report 1\nobject vm-1: success\nsize {HUGE}\n")
    if kind == "label":
        # a sender domain label longer than job.suggested_customer (varchar 200)
        return synthetic_mail(1, sender=f"backup@{'x' * 250}.example")
    # a date with no UTC time (year 10000): the run's day cannot be worked out at all
    raw = synthetic_mail(1)
    start = raw.index(b"Date: ")
    end = raw.index(b"\n", start)
    return raw[:start] + b"Date: Fri, 31 Dec 9999 23:00:00 -1400" + raw[end:]


@pytest.mark.parametrize("kind", ["size", "label", "date"])
def test_a_hostile_mail_second_of_seven_blocks_nothing(
    mailbox: Mailbox, engine: Engine, kind: str
) -> None:
    """All seven mails are stored after one pass; the hostile one is a run or an error."""
    raws = [synthetic_mail(n) for n in range(7)]
    raws[1] = hostile_mail(kind)
    mailbox.append(raws)
    stats = fetch_once(mailbox, engine)
    assert (stats.new, stats.failed) == (7, 0)
    found = mails(engine)
    assert len(found) == 7
    hostile = next(m for m in found if m.uid == 2)
    if kind == "date":
        assert hostile.parse_state == "error"
        assert "could not be stored as parsed" in hostile.parse_reason
        rows, _ = inbox.list_mails(engine, frozenset({"error"}))
        assert [(r.id, r.reason) for r in rows] == [(hostile.id, hostile.parse_reason)]
        assert "Reason:  this mail could not be stored" in inbox.mail_text(engine, hostile.id or 0)
        assert statuses(engine) == ["success"] * 6
    else:
        assert hostile.parse_state == "parsed"
        assert statuses(engine) == ["success"] * 7
    if kind == "size":
        with session_scope(engine) as s:
            run = s.exec(select(JobRun).where(JobRun.mail_id == hostile.id)).one()
            assert run.size_bytes is None
            assert f"size_bytes {HUGE} is out of range (not stored)" in run.message
    if kind == "label":
        with session_scope(engine) as s:
            job = s.exec(select(Job).where(col(Job.sender).startswith("backup@xxx"))).one()
            assert job.suggested_customer == "x" * 200
    assert fetch_once(mailbox, engine).new == 0  # and nothing is fetched twice


# ------------------------------------------------ 2. Message-ID plus a normalised content hash


def test_a_reused_message_id_with_other_content_is_a_new_flagged_mail(
    mailbox: Mailbox, engine: Engine
) -> None:
    """Monday's OK and Tuesday's FAILED mail share a Message-ID: both stored, FAILED shows."""
    monday = synthetic_mail(5, status="success", job="nightly")
    tuesday = synthetic_mail(29, status="failed", job="nightly").replace(
        b"<synthetic-29@", b"<synthetic-5@"
    )
    mailbox.append([monday, tuesday])
    stats = fetch_once(mailbox, engine)
    assert (stats.new, stats.duplicates) == (2, 0)
    first, second = mails(engine)
    assert first.message_id == second.message_id == "<synthetic-5@test.example>"
    assert (first.reused_id, second.reused_id) == (False, True)
    assert statuses(engine) == ["success", "failed"]
    (run_id,) = [
        r.id
        for r in checks.job_runs(engine, _job_id(engine), include_reviewed=False)
        if r.status == "failed"
    ]
    detail = checks.run_detail(engine, run_id)
    assert detail.mail_note.startswith("Message-ID reused")
    assert "Message-ID reused" in inbox.mail_text(engine, second.id or 0)
    # the very same Tuesday mail again (another relay, another copy) is a duplicate
    mailbox.append([tuesday.replace(b"From:", b"Received: from relay2\nFrom:", 1)])
    again = fetch_once(mailbox, engine)
    assert (again.new, again.duplicates) == (0, 1)


def _job_id(engine: Engine) -> int:
    with session_scope(engine) as s:
        return s.exec(select(Job.id)).one() or 0


def test_the_same_mail_from_a_file_and_over_imap_is_one_mail(
    mailbox: Mailbox, engine: Engine, tmp_path: Path
) -> None:
    """No Message-ID, LF in the .eml file, CRLF and relay headers over IMAP: one mail."""
    raw = synthetic_mail(8, status="failed", message_id=False)
    assert b"\r\n" not in raw
    path = tmp_path / "saved.eml"
    path.write_bytes(raw)
    imported = IngestStats()
    files.ingest_sources(Pipeline(engine, registry(), ZONE), files.collect([str(path)]), imported)
    assert imported.new == 1
    relayed = (
        b"Return-Path: <backup@customer-a.example>\n"
        b"Delivered-To: reports@msp.example\n"
        b"Received: from mx.customer-a.example (mx [192.0.2.7])\n\tby mail.msp.example\n" + raw
    ).replace(b"\n", b"\r\n")
    mailbox.append([relayed])
    fetched = fetch_once(mailbox, engine)
    assert (fetched.new, fetched.duplicates) == (0, 1)
    assert len(mails(engine)) == 1
    assert statuses(engine) == ["failed"]


# ------------------------------------------------------- 3. after_fetch work survives a kill

KILLED_FETCH = """
import os, signal, sys
from backupchecks_tui.config import ImapConfig
from backupchecks_tui.database import open_database
from backupchecks_tui.ingest.imap import Fetcher
from backupchecks_tui.ingest.pipeline import Pipeline
from backupchecks_tui.secrets import Secret
from parsers import Registry
from tests.mailfactory import SyntheticParser
from tests.test_fetch_imap import ZONE


class KilledRightAfterCommit(Fetcher):
    def _after_fetch(self, client, committed):
        if committed:  # the batch is committed; the server has not been told yet
            os.kill(os.getpid(), signal.SIGKILL)
        super()._after_fetch(client, committed)


cfg = ImapConfig.model_validate_json(sys.argv[2])
pipeline = Pipeline(open_database(sys.argv[1]), Registry([SyntheticParser()]), ZONE)
KilledRightAfterCommit(cfg, Secret(os.environ["TEST_IMAP_PASSWORD"]), pipeline).run()
"""


@pytest.mark.parametrize("action", ["seen", "move"])
def test_a_sigkill_right_after_commit_leaves_the_action_for_the_next_pass(
    mailbox: Mailbox, db_url: str, action: str
) -> None:
    """Killed after storing a batch, before flagging/moving it: the next pass does it."""
    mailbox.append([synthetic_mail(n) for n in range(25)])
    with mailbox.client() as client:
        client.create_folder("Done")
    cfg = mailbox.imap_config(after_fetch=action, move_to="Done", batch_size=10)
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_FETCH, db_url, cfg.model_dump_json()],
        env={**os.environ, "TEST_IMAP_PASSWORD": mailbox.password},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert killed.returncode == -9, killed.stderr
    engine = _open(db_url)
    try:
        assert stored(engine) == 10  # the first batch was committed
        assert list(fetch(mailbox, engine, after_fetch=action, move_to="Done")) == [15]
        assert stored(engine) == 25
    finally:
        engine.dispose()
    if action == "seen":
        with mailbox.client() as client:
            client.select_folder("INBOX", readonly=True)
            assert len(client.search(["SEEN"])) == 25
    else:
        assert (mailbox.count("INBOX"), mailbox.count("Done")) == (0, 25)


def _open(db_url: str) -> Engine:
    from backupchecks_tui.database import open_database

    return open_database(db_url)


def test_a_missing_move_to_folder_exits_2_on_every_pass(mailbox: Mailbox, tmp_path: Path) -> None:
    """One line and exit 2 on every pass; mail is stored and moved once the folder exists."""
    mailbox.append([synthetic_mail(n) for n in range(3)])
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    config = mailbox.config_file(tmp_path / "c.toml", db_url, after_fetch="move", move_to="Archive")
    for _ in range(4):
        done = run_cli(config, "fetch", password=mailbox.password)
        assert done.returncode == 2, done.stdout + done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr
        assert "'Archive' does not exist" in lines[0] and "move_to" in lines[0]
    engine = _open(db_url)
    try:
        assert stored(engine) == 3  # fetched and kept, just not moved
    finally:
        engine.dispose()
    assert mailbox.count("INBOX") == 3
    with mailbox.client() as client:
        client.create_folder("Archive")
    done = run_cli(config, "fetch", password=mailbox.password)
    assert done.returncode == 0, done.stderr
    assert (mailbox.count("INBOX"), mailbox.count("Archive")) == (0, 3)
    assert "0 new" in done.stdout


# ------------------------------------------------------------ mails stored before 0003

LEGACY_MAIL = text(
    "INSERT INTO mail_message (dedupe_key, message_id, source, account, folder, source_path,"
    " from_addr, to_addr, subject, received_at, raw_size, raw_gz, text_body, html_body,"
    " parse_state, parse_reason, parser_name, parser_version)"
    " VALUES (:key, :mid, 'file', '', '', '', '', '', '', CURRENT_TIMESTAMP, :size, :gz,"
    " '', '', 'unparsed', '', '', '')"
)


def test_mails_stored_before_the_upgrade_are_still_recognised(db_url: str) -> None:
    """Old keys (Message-ID alone; raw-bytes hash) still catch their duplicates after 0003,
    and a reused Message-ID against an old mail is still a new, flagged mail."""
    engine = make_engine(db_url)
    migrate.upgrade(engine, "0002")
    with_id, without_id = synthetic_mail(1), synthetic_mail(2, message_id=False)
    old_keys = [
        ("mid:<synthetic-1@test.example>", "<synthetic-1@test.example>", with_id),
        ("sha256:" + hashlib.sha256(without_id).hexdigest(), "", without_id),
    ]
    with engine.begin() as conn:
        for key, mid, raw in old_keys:
            conn.execute(
                LEGACY_MAIL,
                {"key": key, "mid": mid, "size": len(raw), "gz": zlib.compress(raw)},
            )
    migrate.upgrade(engine)
    assert migrate.pending_differences(engine) == []
    pipeline = Pipeline(engine, registry(), ZONE)
    try:
        assert not pipeline.ingest(with_id, Origin()).new
        assert not pipeline.ingest(without_id, Origin()).new
        reused = pipeline.ingest(synthetic_mail(1, status="failed"), Origin())
        assert reused.new
        assert [m.reused_id for m in mails(engine)] == [False, False, True]
    finally:
        engine.dispose()


# ------------------------------------------------------------------ what the operator sees


async def test_the_inbox_shows_the_error_mail_with_its_reason(tmp_path: Path) -> None:
    """The mail that could not be stored as parsed is in the Inbox, its reason in the detail."""
    from rich.text import Text
    from textual.widgets import RichLog

    from screens.app import BackupChecksApp
    from screens.inbox import InboxScreen
    from screens.widgets.tables import KeyedTable
    from tests.uihelpers import settle, workspace

    ws = workspace(tmp_path, [synthetic_mail(0), hostile_mail("date"), synthetic_mail(2)])
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("6")
        await settle(pilot)
        assert isinstance(app.screen, InboxScreen)
        table = app.screen.query_one("#mails", KeyedTable)
        assert table.row_count == 1
        state = table.get_row_at(0)[1]
        assert isinstance(state, Text) and state.plain == "error"
        await settle(pilot)
        log = app.screen.query_one("#mail-text", RichLog)
        shown = " ".join(strip.text for strip in log.lines)
        assert "State:   error" in shown
        assert "Reason:  this mail could not be stored as parsed" in shown
    ws.engine.dispose()


def test_the_run_detail_marks_a_reused_message_id(sqlite_engine: Engine) -> None:
    """The mail block of Tuesday's run says its Message-ID was reused; Monday's says nothing."""
    from screens.widgets.run_detail import mail_block

    pipeline = Pipeline(sqlite_engine, registry(), ZONE)
    pipeline.ingest(synthetic_mail(5), Origin(path="monday.eml"))
    pipeline.ingest(synthetic_mail(5, status="failed"), Origin(path="tuesday.eml"))
    with session_scope(sqlite_engine) as s:
        monday, tuesday = s.exec(select(JobRun.id).order_by(col(JobRun.id))).all()
    shown = [
        mail_block(checks.run_detail(sqlite_engine, run_id or 0), ZONE).plain
        for run_id in (monday, tuesday)
    ]
    assert "Message-ID reused" not in shown[0]
    assert "Message-ID reused" in shown[1]


def test_a_reparse_that_cannot_be_stored_marks_the_mail_and_goes_on(engine: Engine) -> None:
    """Re-parsing all mail passes the hostile one (state error, reason) and does the rest."""
    from backupchecks_tui.services.reparse import reparse

    pipeline = Pipeline(engine, registry(), ZONE)
    for n, raw in enumerate([synthetic_mail(0), hostile_mail("date"), synthetic_mail(2)]):
        pipeline.ingest(raw, Origin(path=f"{n}.eml"))
    counts = reparse(pipeline, None)
    assert counts == {"parsed": 2, "error": 1}
    hostile = mails(engine)[1]
    assert hostile.parse_state == "error"
    assert hostile.parse_reason.startswith("re-parse could not be stored (OverflowError")
    assert statuses(engine) == ["success", "success"]


# ------------------------------------------------------------------ the pieces, one by one


def test_the_content_hash_ignores_only_the_way_a_mail_travelled() -> None:
    """Line endings, relay headers, header case and folding, an mbox envelope line and
    trailing blank lines do not change the hash; one changed body byte does."""
    from backupchecks_tui.ingest.prepare import content_hash

    raw = synthetic_mail(3, message_id=False)
    travelled = (
        b"From backup@customer-a.example Mon Nov 23 01:00:00 2026\n"
        b"Received: from a\n  by b\nX-Spam-Status: No\nARC-Seal: i=1\nStatus: RO\n"
        + raw.replace(b"Subject:", b"SUBJECT:").replace(b"To: ", b"To:\n   ")
        + b"\n\n"
    ).replace(b"\n", b"\r\n")
    assert content_hash(travelled) == content_hash(raw)
    assert content_hash(raw.replace(b"vm-0: success", b"vm-0: failed")) != content_hash(raw)
    assert content_hash(raw.replace(b"[synthetic]", b"[Synthetic]")) != content_hash(raw)


def test_fit_cuts_text_and_leaves_out_numbers_and_times_that_do_not_fit() -> None:
    """Every kind of unstorable value, against the real tables."""
    from datetime import UTC, datetime, timedelta, timezone

    from store.fit import fit

    table = JobRun.__table__  # type: ignore[attr-defined]
    late = datetime(9999, 12, 31, 23, tzinfo=timezone(-timedelta(hours=14)))
    ok = datetime(2026, 11, 23, tzinfo=UTC)
    values = {
        "size_bytes": HUGE,
        "transferred_bytes": -(2**63),
        "object_count": 2**40,
        "message": "nul\x00 and a lone \udcff surrogate",
        "reviewed_by": "r" * 500,
        "started_at": late,
        "ended_at": ok,
    }
    dropped = fit(table, values)
    assert values == {
        "size_bytes": None,
        "transferred_bytes": -(2**63),
        "object_count": 2**31 - 1,  # NOT NULL: clamped
        "message": "nul and a lone ? surrogate",
        "reviewed_by": "r" * 200,
        "started_at": None,
        "ended_at": ok,
    }
    assert [d.column for d in dropped] == ["size_bytes", "object_count", "started_at"]
    assert dropped[0].note == f"size_bytes {HUGE} is out of range (not stored)."
