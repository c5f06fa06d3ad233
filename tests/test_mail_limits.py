"""Hostile mail shapes stay bounded: huge job logs and runs of spaces parse to the same
verdict as a small mail, and a 1,000-deep MIME tree or a 20 MB body opens in the Inbox.

All mails here are synthetic and named so. The tests assert outcomes (same report, the
app still running, the text cut at its cap), never the clock: before the fixes these
inputs hung the parser (quadratic scans) or crashed the app (RecursionError).
"""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlmodel import col, select
from textual.widgets import RichLog

from backupchecks_tui.facade import bind
from backupchecks_tui.services import inbox
from backupchecks_tui.services.mail_body import MAX_CHARS
from parsers import Outcome, Status, default_registry
from screens.app import BackupChecksApp
from screens.inbox import InboxScreen
from screens.widgets.tables import KeyedTable
from store.engine import session_scope
from store.models import MailMessage
from tests.uihelpers import settle, workspace


def _mail(subject: str, body: str, sender: str = "root@pve1.synthetic.invalid") -> bytes:
    """A synthetic text mail."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "reports@msp.example"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<limits-{abs(hash(subject))}@synthetic.invalid>"
    msg.set_content(body)
    return bytes(msg)


def _bareos(log_kib: int) -> bytes:
    """A synthetic Bareos 'Backup Error' report with a job log of `log_kib` KiB."""
    line = "01-Jun 01:00 bareos-sd JobId 42: Sending spooled attrs to the Director.\n"
    log = line * (log_kib * 1024 // len(line))
    body = (
        "01-Jun 01:00 bareos-dir JobId 42: Start Backup JobId 42, Job=big.2026\n"
        + log
        + "\n" * (log_kib * 10)  # blank lines: the old scan rescanned them from every line
        + "  JobId:                  42\n  Job:                    big.2026-06-01_01.00.00_42\n"
        '  Backup Level:           Full\n  Client:                 "fd"\n'
        "  Termination:            Backup Error\n"
    )
    return _mail("Bareos: Backup Error of fd Full", body, "bareos@synthetic.invalid")


def _vzdump(spaces: int) -> bytes:
    """A synthetic Proxmox VE vzdump failure whose error line ends in `spaces` spaces."""
    body = (
        "\nDetails\n=======\nVMID    Name     Status    Time       Size        Filename\n"
        "101     db01     err       41s        0 B         null\n\nLogs\n====\n"
        "101: 2026-06-03 01:01:47 ERROR: Backup of VM 101 failed - timeout" + " " * spaces + "x\n"
    )
    return _mail("vzdump backup status (pve1.synthetic.invalid): backup failed", body)


@pytest.mark.parametrize("kib", [10, 100, 1024])
def test_bareos_job_log_of_any_size_reads_as_the_failure_it_is(kib: int) -> None:
    result = default_registry().parse_bytes(_bareos(kib))
    assert result.outcome is Outcome.PARSED
    assert [r.status for r in result.reports] == [Status.FAILED]


@pytest.mark.parametrize("spaces", [10, 20_000, 200_000])
def test_vzdump_error_line_with_a_run_of_spaces_reads_as_the_failure_it_is(spaces: int) -> None:
    result = default_registry().parse_bytes(_vzdump(spaces))
    assert result.outcome is Outcome.PARSED
    assert [r.status for r in result.reports] == [Status.FAILED]


def _deep_mime(depth: int) -> bytes:
    """A synthetic mail whose multipart nests `depth` levels deep."""
    head = (
        "From: deep@synthetic.invalid\nTo: reports@msp.example\nSubject: synthetic deep MIME\n"
        "Message-ID: <deep@synthetic.invalid>\nMIME-Version: 1.0\n"
    )
    opening = "".join(
        f'Content-Type: multipart/mixed; boundary="b{n}"\n\n--b{n}\n' for n in range(depth)
    )
    closing = "".join(f"--b{n}--\n" for n in reversed(range(depth)))
    return (head + opening + "Content-Type: text/plain\n\ninnermost\n" + closing).encode()


BIG = _mail("synthetic 20 MB mail", ("B" * 76 + "\n") * 270_000, "big@synthetic.invalid")


async def test_deep_and_huge_mails_open_in_the_inbox(tmp_path: Path) -> None:
    """Both land in the Inbox; reading each shows its text, cut at the cap, and the app
    goes on (a 1,000-deep tree was a RecursionError that ended the app)."""
    ws = workspace(tmp_path, [_deep_mime(1000), BIG])
    with session_scope(ws.engine) as session:
        ids = list(session.exec(select(MailMessage.id).order_by(col(MailMessage.id))))
    texts = [inbox.mail_text(ws.engine, mail_id) for mail_id in ids if mail_id is not None]
    assert len(texts) == 2
    assert all(len(text) < MAX_CHARS + 20_000 for text in texts)
    app = BackupChecksApp(bind(ws))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("6")
        await settle(pilot)
        assert isinstance(app.screen, InboxScreen)
        table = app.screen.query_one("#mails", KeyedTable)
        assert table.row_count == 2
        for row in range(2):
            table.move_cursor(row=row)
            await pilot.press("enter")
            await settle(pilot)
            log = app.screen.query_one("#mail-text", RichLog)
            assert log.lines  # the mail is shown
        assert app.is_running
