"""Acronis Cyber Protect (Cloud) backup notification mails (minimal, tolerant parser).

Acronis documents its per-device notifications only by name: "Backup failed", "Backup
succeeded with warnings", "Backup succeeded" (execution results of protection plans,
one mail per device) and a separate daily recap of active alerts. No real mail is public;
a third-party parser of German partner-branded mails adds that subjects say
`erfolgreich` or `WARNUNGEN`, that `Statusbericht` mails are periodic status reports, and
that bodies carry `Plan-Name <plan>` and `Backup-Dauer HH:MM:SS`.

So this parser reads: the status from the subject (English or German result words; a
failure word beats a warning word beats a success word), and `Label | value` fields
from tables, tab/pipe text or `Label: value` lines (device, plan name, start and end
time, duration, backup size, error/warning text). Job type is "backup", the job name is
the plan, the host and only object ("computer") is the device. Status reports and daily
recaps raise IgnoreMail. Times without a zone get the Date header's zone, else UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo

from parsers.mailview import MailView
from parsers.model import IgnoreMail, Report, ReportObject, Status
from parsers.products._htmltable import (
    Table,
    alias_index,
    colon_table,
    label_values,
    tables,
    text_table,
)
from parsers.textutil import doubted, parse_duration, parse_loose_datetime, parse_size

PRODUCT = "acronis"

_FIELDS = alias_index(
    {
        "device": [
            "device",
            "device name",
            "machine",
            "workload",
            "resource",
            "computer",
            "gerät",
            "gerätename",
            "maschine",
            "ressource",
            "arbeitslast",
        ],
        "plan": ["plan name", "plan", "protection plan", "plan-name", "planname", "schutzplan"],
        "start": ["start time", "started", "backup start", "backup-start", "startzeit", "start"],
        "end": ["finish time", "end time", "finished", "backup end", "backup-ende", "endzeit"],
        "duration": ["backup duration", "duration", "backup-dauer", "dauer"],
        "size": ["backup size", "size", "backup-größe", "größe", "sicherungsgröße"],
        "message": [
            "error",
            "error message",
            "errors",
            "warning",
            "warnings",
            "details",
            "fehler",
            "fehlermeldung",
            "warnung",
            "warnungen",
            "meldung",
        ],
    }
)
_IGNORE = re.compile(r"statusbericht|status report|daily recap|tägliche zusammenfassung", re.I)
_FAILED = re.compile(r"\b(failed|failure|fehlgeschlagen|fehler|error)\b", re.I)
_WARNING = re.compile(r"\b(warnings?|warnungen|warnung)\b", re.I)
_SUCCESS = re.compile(r"\b(succeeded|successful|success|erfolgreich)\b", re.I)
_SIZE_IN = re.compile(r"\d[\d.,' ]*\s*(?:[KMGTP]i?B|bytes?|B)\b", re.I)


def subject_status(subject: str) -> Status | None:
    """The result a notification subject states, or None."""
    for pattern, status in (
        (_FAILED, Status.FAILED),
        (_WARNING, Status.WARNING),
        (_SUCCESS, Status.SUCCESS),
    ):
        if pattern.search(subject):
            return status
    return None


def _is_acronis(mail: MailView) -> bool:
    """Whether the mail names Acronis/Cyber Protect or has the partner-branded fields."""
    head = f"{mail.from_addr} {mail.from_name} {mail.subject}".lower()
    body = (mail.html or mail.text).lower()
    if "acronis" in head or "acronis" in body or "cyber protect" in body:
        return True
    return "plan-name" in body and "backup-dauer" in body


def _tables(mail: MailView) -> list[Table]:
    """HTML tables, then the text body as tab/pipe and `Label: value` tables."""
    tree = mail.html_tree
    found = tables(tree) if tree is not None else []
    body = mail.text if mail.text.strip() else mail.html_text
    return [*found, text_table(body), colon_table(body)]


def _size(value: str | None) -> int | None:
    """Bytes of the first size in `value`."""
    m = _SIZE_IN.search(value or "")
    return parse_size(m.group(0)) if m else None


def _times(fields: dict[str, str], tz: tzinfo) -> tuple[datetime | None, datetime | None]:
    """Start and end; the end is start + duration when only those are given."""
    start = parse_loose_datetime(fields["start"], tz) if "start" in fields else None
    end = parse_loose_datetime(fields["end"], tz) if "end" in fields else None
    duration = parse_duration(fields.get("duration", ""))
    if start is not None and end is None and duration is not None:
        end = start + duration
    return start, end


class AcronisParser:
    """Reads Acronis Cyber Protect per-device backup notifications (see module docstring)."""

    name = "acronis"
    product = PRODUCT
    version = "1"
    priority = 50

    def matches(self, mail: MailView) -> bool:
        """An Acronis (or partner-branded Acronis) mail with a result or report subject."""
        if not _is_acronis(mail):
            return False
        return subject_status(mail.subject) is not None or bool(_IGNORE.search(mail.subject))

    def parse(self, mail: MailView) -> list[Report]:
        """The one device result of the mail."""
        if _IGNORE.search(mail.subject):
            raise IgnoreMail("Acronis status report (not a job result)")
        status = subject_status(mail.subject)
        fields, _ = label_values([row for table in _tables(mail) for row in table.rows], _FIELDS)
        device = fields.get("device", "")
        if status is None or not device:
            return []
        tz = mail.date.tzinfo if mail.date and mail.date.tzinfo else UTC
        start, end = _times(fields, tz)
        message = fields.get("message", "")
        status, message = doubted(status, message, mail.body)
        return [
            Report(
                product=PRODUCT,
                job_type="backup",
                job_name=fields.get("plan", ""),
                host=device,
                status=status,
                started_at=start,
                ended_at=end,
                message=message,
                size_bytes=_size(fields.get("size")),
                objects=(ReportObject(device, "computer", status, message),),
            )
        ]


PARSERS = [AcronisParser()]
