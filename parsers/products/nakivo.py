"""NAKIVO Backup & Replication job-report mails (minimal, tolerant parser).

NAKIVO's public documentation only says that job reports can be mailed on job
completion; it shows neither the subject nor the body. No real mail is public either.
So this parser relies on little: a NAKIVO mention (sender, subject or body), a status
phrase (subject, else a `Status` field, else the worst object), `Label | value` fields
in tables or `Label: value` lines (Job name, Job type, Status, Start/Finish, Data
transferred, Director) and a table whose header names a VM/machine and a Status column.
Job type: "replication" or "backup-copy" when the job type says so, else "backup".
Times without a zone get the zone of the mail's Date header, else UTC. Host: the
Director field when present, else the sender address.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo

from parsers.mailview import MailView
from parsers.model import Report, ReportObject, Status
from parsers.products._htmltable import (
    Records,
    Table,
    alias_index,
    all_rows,
    colon_table,
    label_values,
    records,
    tables,
    text_table,
)
from parsers.textutil import doubted, parse_loose_datetime, parse_size

PRODUCT = "nakivo"

_FIELDS = alias_index(
    {
        "job": ["job name", "job"],
        "kind": ["job type", "type"],
        "status": ["status", "job status", "result"],
        "start": ["start", "started", "start time", "start date", "job start"],
        "end": ["finish", "finished", "end", "end time", "finish time", "end date", "job end"],
        "duration": ["duration", "run time"],
        "transferred": ["data transferred", "transferred"],
        "size": ["backup size", "data size", "total size"],
        "director": ["director", "host", "server"],
        "message": ["message", "error", "details", "error message", "alarm"],
    }
)
_COLUMNS = alias_index(
    {
        "name": [
            "vm",
            "vm name",
            "vms",
            "machine",
            "machine name",
            "instance",
            "object",
            "name",
            "source",
            "physical machine",
            "item",
        ],
        "status": ["status", "result"],
        "message": ["message", "error", "details", "description"],
    }
)
_SUBJECT_JOB = re.compile(r"[\"“'‘](?P<name>[^\"”'’]+)[\"”'’]")
# Bounded: an unbounded digit run was rescanned from each of its digits (quadratic).
_SIZE_IN = re.compile(r"\d[\d.,' ]{0,40}\s*(?:[KMGTP]i?B|bytes?|B)\b", re.I)


def phrase_status(text: str) -> Status | None:
    """The status a result phrase means ('failed' beats 'warning' beats 'successful')."""
    low = _SUBJECT_JOB.sub(" ", text).lower()
    if re.search(r"\b(fail|failed|failure|errors?|unsuccessful)\b", low):
        return Status.FAILED
    if re.search(r"\bwarn\w*", low):
        return Status.WARNING
    if re.search(r"\b(success\w*|succeed\w*|completed|ok)\b", low):
        return Status.SUCCESS
    return None


def _tables(mail: MailView) -> list[Table]:
    """HTML tables, then the text body as tab/pipe and `Label: value` tables."""
    tree = mail.html_tree
    found = tables(tree) if tree is not None else []
    body = mail.text if mail.text.strip() else mail.html_text
    return [*found, text_table(body), colon_table(body)]


def _job_type(kind: str) -> str:
    """The job type a NAKIVO job-type text names."""
    low = kind.lower()
    if "copy" in low:
        return "backup-copy"
    if "replica" in low:
        return "replication"
    return "backup"


def _object_type(kind: str) -> str:
    """The object type a NAKIVO job-type text implies."""
    low = kind.lower()
    if "physical" in low or "machine" in low:
        return "computer"
    if "365" in low:
        return "mailbox"
    return "vm"


def _objects(found: Records | None, kind: str, fallback: Status) -> list[ReportObject]:
    """One ReportObject per named row of the object table."""
    out: list[ReportObject] = []
    for row in found.rows if found else ():
        name = row["name"].text
        if name:
            said = row["status"].text.strip()
            message = row["message"].text if "message" in row else ""
            status = phrase_status(said)
            if status is None and said:  # a status word the format does not use: unproven
                status = Status.WARNING
                note = f"status {said[:40]!r} not recognised"
                message = f"{message}; {note}" if message else note
            status = status or fallback
            out.append(ReportObject(name, _object_type(kind), status, message))
    return out


def _size(value: str | None) -> int | None:
    """Bytes of the first size in `value`."""
    m = _SIZE_IN.search(value or "")
    return parse_size(m.group(0)) if m else None


def _stamp(value: str | None, tz: tzinfo) -> datetime | None:
    """A datetime from a cell, with `tz` attached."""
    return parse_loose_datetime(value, tz) if value else None


class NakivoParser:
    """Reads NAKIVO job-report mails (see the module docstring for what is assumed)."""

    name = "nakivo"
    product = PRODUCT
    version = "1"
    priority = 50

    def matches(self, mail: MailView) -> bool:
        """A mail whose sender, subject or body names NAKIVO."""
        head = f"{mail.from_addr} {mail.from_name} {mail.subject}".lower()
        return "nakivo" in head or "nakivo" in mail.html.lower() or "nakivo" in mail.text.lower()

    def parse(self, mail: MailView) -> list[Report]:
        """The job report of the mail (none when it carries no job result)."""
        tz = mail.date.tzinfo if mail.date and mail.date.tzinfo else UTC
        found = _tables(mail)
        details = records(found, _COLUMNS, ("name", "status"))
        fields, _ = label_values(all_rows(found, details), _FIELDS)
        kind = fields.get("kind", "")
        # Subject and Status field are both the product's own verdict: the worse of the
        # two counts, so a damaged or reworded subject cannot outvote a 'Warning' field.
        stated = [
            s for s in (phrase_status(mail.subject), phrase_status(fields.get("status", ""))) if s
        ]
        status = Status.worst(stated) if stated else None
        objects = _objects(details, kind, status or Status.SUCCESS)
        if objects:
            status = Status.worst([o.status for o in objects] + stated)
        job = fields.get("job") or _subject_job(mail.subject)
        if status is None or not job:
            return []
        status, message = doubted(status, fields.get("message", ""), mail.body)
        return [
            Report(
                product=PRODUCT,
                job_type=_job_type(kind),
                job_name=job,
                host=fields.get("director") or mail.from_addr,
                status=status,
                started_at=_stamp(fields.get("start"), tz),
                ended_at=_stamp(fields.get("end"), tz),
                message=message,
                size_bytes=_size(fields.get("size")),
                transferred_bytes=_size(fields.get("transferred")),
                objects=tuple(objects),
            )
        ]


def _subject_job(subject: str) -> str:
    """The first quoted name in the subject ('' when none)."""
    m = _SUBJECT_JOB.search(subject)
    return m.group("name").strip() if m else ""


PARSERS = [NakivoParser()]
