"""duplicity-backup.sh wrapper mails: the script's log file mailed after each run.

The body is the wrapper's log between `START DUPLICITY-BACKUP SCRIPT for <host>` and
`END DUPLICITY-BACKUP SCRIPT` banners, with duplicity's own output (and, at notice
verbosity, its `Backup Statistics` block). The script puts the status only in its
default subject, `duplicity-backup OK|ERROR (<host>) <logfile>`, so the subject decides.
Without it (a custom subject, or a saved body) the body decides as far as it can: a lock
failure, a config error or `Errors N` > 0 fail the run, a complete run whose statistics
say `Errors 0` succeeds, and anything else is a warning saying the status is unknown.

Times: `StartTime`/`EndTime` in the statistics are epoch seconds, used as exact instants
(shown in the zone of the mail's Date header, or UTC); without them the times stay None.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo

from parsers.mailview import MailView
from parsers.model import Report, Status
from parsers.textutil import quoted_subject, zone_of

_START = re.compile(r"START DUPLICITY-BACKUP SCRIPT(?: for (?P<host>\S+))?")
_END = "END DUPLICITY-BACKUP SCRIPT"
_SUBJECT = re.compile(r"duplicity-backup (?P<status>OK|ERROR)\b(?: \((?P<host>[^)]*)\))?")
_STAT = re.compile(r"^(?P<key>[A-Za-z]+) (?P<value>-?[\d.]+)(?: \(.*\))?\s*$", re.M)
_FAILURES = (
    re.compile(r"^lock failed, could not acquire .*$", re.M),
    re.compile(r"^Oops!! .* was unable to run!.*$", re.M),
    re.compile(r"^(?:ERROR|Error|Fatal error|GPGError)\b.*$", re.M),
)
_JOB_TYPES = (
    ("[ Verifying Source & Destination ]", "verify"),
    ("[ Cleaning up Destination ]", "cleanup"),
    ("Attempting to restore now", "restore"),
    ("Restoring now", "restore"),
)
_UNKNOWN = "status is only in the subject (duplicity-backup OK|ERROR), which this mail lacks"
_MAX_MESSAGE = 300


def _stats(body: str) -> dict[str, float]:
    """The numbers of duplicity's `Backup Statistics` block (StartTime, Errors…)."""
    out: dict[str, float] = {}
    for m in _STAT.finditer(body):
        try:
            out.setdefault(m["key"], float(m["value"]))
        except ValueError:
            continue
    return out


def _instant(stats: dict[str, float], key: str, tz: tzinfo) -> datetime | None:
    """An epoch statistic as an aware datetime."""
    value = stats.get(key)
    if value is None or not 0 < value < 1e11:
        return None
    return datetime.fromtimestamp(value, UTC).astimezone(tz)


def _body_status(body: str, stats: dict[str, float]) -> tuple[Status, str]:
    """What the log alone says: failure lines, the statistics' error count, or unknown."""
    for pattern in _FAILURES:
        m = pattern.search(body)
        if m:
            return Status.FAILED, m.group(0).strip()[:_MAX_MESSAGE]
    # issue-139…: a saved body without subject and without statistics ends here, as a
    # warning that says why, rather than a guess.
    errors = stats.get("Errors")
    if errors:
        return Status.FAILED, f"duplicity reported {int(errors)} errors"
    if errors == 0 and _END in body:
        return Status.SUCCESS, "Errors 0"
    return Status.WARNING, _UNKNOWN


def _status(
    subject: re.Match[str] | None, body: str, stats: dict[str, float]
) -> tuple[Status, str]:
    """The subject's OK/ERROR when present, else the body's evidence."""
    found, reason = _body_status(body, stats)
    if subject is None:
        return found, reason
    if subject["status"] == "OK":
        return Status.SUCCESS, "duplicity-backup OK"
    detail = reason if found is Status.FAILED else ""
    return Status.FAILED, "duplicity-backup ERROR" + (f": {detail}" if detail else "")


def _job_type(body: str) -> str:
    """backup unless the log shows a verify, cleanup or restore run."""
    for marker, kind in _JOB_TYPES:
        if marker in body:
            return kind
    return "backup"


class DuplicityBackupShParser:
    """Runs of the duplicity-backup.sh wrapper script."""

    name = "duplicity"
    product = "duplicity"
    version = "1"
    priority = 60

    def matches(self, mail: MailView) -> bool:
        """The wrapper's START banner in the body or its default subject."""
        subject = mail.subject or quoted_subject(mail.body)
        return "DUPLICITY-BACKUP SCRIPT" in mail.body or bool(_SUBJECT.search(subject))

    def parse(self, mail: MailView) -> list[Report]:
        """One report for the run."""
        body = mail.body
        subject = _SUBJECT.search(mail.subject or quoted_subject(body))
        start = _START.search(body)
        host = (start["host"] if start and start["host"] else "") or (
            subject["host"] if subject and subject["host"] else ""
        )
        stats = _stats(body)
        status, message = _status(subject, body, stats)
        tz = zone_of(mail.date)
        size = stats.get("SourceFileSize")
        change = stats.get("TotalDestinationSizeChange")
        report = Report(
            product="duplicity",
            job_type=_job_type(body),
            job_name="duplicity-backup.sh",
            host=host,
            status=status,
            started_at=_instant(stats, "StartTime", tz),
            ended_at=_instant(stats, "EndTime", tz),
            message=message,
            size_bytes=int(size) if size is not None else None,
            transferred_bytes=int(change) if change is not None and change >= 0 else None,
        )
        return [report]


PARSERS = [DuplicityBackupShParser()]
