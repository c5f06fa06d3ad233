"""Synthetic test mails (named so): small RFC 822 messages built for ingest tests.

These are not real reports; real report mails live under tests/golden with provenance.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from parsers import MailView, Report, ReportObject, Status

BASE = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def synthetic_mail(
    n: int,
    *,
    status: str = "success",
    job: str = "",
    message_id: bool = True,
    date: bool = True,
    body: str = "",
    sender: str = "backup@customer-a.example",
) -> bytes:
    """A synthetic report mail number `n` that `SyntheticParser` understands."""
    msg = EmailMessage()
    msg["From"] = f"Synthetic Backup <{sender}>"
    msg["To"] = "reports@msp.example"
    msg["Subject"] = f"[synthetic] {status} {job or f'job-{n % 7}'}"
    if date:
        msg["Date"] = format_datetime(BASE + timedelta(hours=n))
    if message_id:
        msg["Message-ID"] = f"<synthetic-{n}@test.example>"
    msg.set_content(body or f"Synthetic report {n}\nobject vm-{n % 3}: {status}\n")
    return bytes(msg)


class SyntheticParser:
    """Reads the synthetic mails above: '[synthetic] STATUS JOB' subjects."""

    name = "synthetic"
    product = "synthetic"
    version = "1"
    priority = 1

    def matches(self, mail: MailView) -> bool:
        """Subject starts with [synthetic]."""
        return mail.subject.startswith("[synthetic]")

    def parse(self, mail: MailView) -> list[Report]:
        """One report with one object per 'object NAME: STATUS' line."""
        _, status, job = mail.subject.split(" ", 2)
        objects = []
        for line in mail.body.splitlines():
            if line.startswith("object "):
                name, _, obj_status = line[7:].partition(": ")
                objects.append(ReportObject(name, "vm", Status(obj_status.strip())))
        return [
            Report(
                product="synthetic",
                job_type="backup",
                job_name=job,
                host=mail.from_addr,
                status=Status(status),
                started_at=mail.date,
                ended_at=mail.date,
                objects=tuple(objects),
            )
        ]
