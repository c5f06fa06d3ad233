"""UrBackup server mails: backup reports (report.lua) and 'no recent backup' alerts (alert.lua).

A report names one client; its subject ends in 'success' or 'failed' after a newline the
Lua script puts in it (so it arrives folded or garbled). A successful backup with logged
warnings or errors is a warning, and so is one whose subject result or count line is
missing or damaged (success is not proven). The mails do not name the server, so `host`
is empty.
Log times carry no zone: the Date header's zone is used, or UTC when the mail has none.
An alert is a report of job type 'alert'.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

from parsers.mailview import MailView
from parsers.model import Report, Status
from parsers.textutil import strip_reply_prefixes, unquote_body, zone_of

PRODUCT = "urbackup"

_SUBJECT = re.compile(
    r"UrBackup:\s*(?P<resumed>Resumed )?(?P<level>incremental|full)\s+(?P<kind>file|image)\s+"
    r'backup of "(?P<client>.*?)"\s*(?:-\s*(?P<result>success|failed))?\s*$',
    re.I | re.S,
)
_BODY = re.compile(
    r"UrBackup just did an? (?:resumed )?(?P<level>incremental|full)\s+(?P<kind>file|image) "
    r'backup of "(?P<client>.*?)"\.',
    re.I,
)
_COUNTS = re.compile(
    r"\(\s*(?P<infos>\d+) infos?,\s*(?P<warnings>\d+) warnings?,\s*(?P<errors>\d+) errors?\)"
)
_LOG_LINE = re.compile(
    # The message ends at its last non-space (linear: no lazy `.*?\s*$`).
    r"^(?P<at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\((?P<level>info|warning|error)\): "
    r"(?P<msg>(?:.*\S)?)[^\S\n]*$",
    re.M,
)
_ALERT = re.compile(
    r"\[UrBackup\](?:\s*\[Important\])?\s*(?P<client>.+?):\s*(?:No recent (?P<missing>file|image) "
    r"backup|(?P<ok>file|image) backup status is OK)\s*$",
    re.I,
)


class UrBackupReportParser:
    """Per-client backup reports of the default report script."""

    name = "urbackup-report"
    product = PRODUCT
    version = "1"
    priority = 50

    def matches(self, mail: MailView) -> bool:
        """An 'UrBackup: … backup of "<client>"' subject or report body."""
        return "urbackup:" in mail.subject.lower() or "UrBackup just did" in mail.text[:500]

    def parse(self, mail: MailView) -> list[Report]:
        """One report for the client."""
        body = unquote_body(mail.body)
        head = _SUBJECT.search(strip_reply_prefixes(mail.subject)) or _BODY.search(body)
        if head is None:
            return []
        counts = _COUNTS.search(body)
        warnings, errors = (int(counts["warnings"]), int(counts["errors"])) if counts else (0, 0)
        # The log lines count too: a damaged count line must not hide a logged problem.
        logged = [m["level"] for m in _LOG_LINE.finditer(body)]
        warnings = max(warnings, logged.count("warning"))
        errors = max(errors, logged.count("error"))
        result = head.groupdict().get("result") or ""
        status, doubt = _status(result, warnings, errors, proven=counts is not None)
        started, ended = _log_span(body, zone_of(mail.date))
        return [
            Report(
                product=PRODUCT,
                job_type=f"{head['kind'].lower()}-backup",
                job_name=head["client"],
                host="",  # the sender is a configured address, not the server
                status=status,
                started_at=started,
                ended_at=ended,
                message=_message(head, counts, body, status) + doubt,
            )
        ]


class UrBackupAlertParser:
    """'No recent file/image backup' alerts and their 'status is OK' all-clear mails."""

    name = "urbackup-alert"
    product = PRODUCT
    version = "1"
    priority = 50

    def matches(self, mail: MailView) -> bool:
        """An '[UrBackup] <client>: …' alert subject."""
        return "[urbackup]" in mail.subject.lower()

    def parse(self, mail: MailView) -> list[Report]:
        """One report: failed for a missing backup, success when the status is OK again."""
        head = _ALERT.search(strip_reply_prefixes(mail.subject))
        if head is None:
            return []
        missing = head["missing"]
        kind = (missing or head["ok"]).lower()
        body = unquote_body(mail.body)
        text = " ".join(body.split())
        # An all-clear whose body counts or logs problems is not a proven success.
        doubted = not missing and _logged_problems(body)
        return [
            Report(
                product=PRODUCT,
                job_type="alert",
                job_name=head["client"].strip(),
                host="",  # the sender is a configured address, not the server
                status=Status.FAILED if missing else Status.WARNING if doubted else Status.SUCCESS,
                message=text or f"{kind} backup status {'not ' if missing else ''}OK",
            )
        ]


def _logged_problems(body: str) -> bool:
    """Whether `body` counts or logs a warning or an error."""
    counts = _COUNTS.search(body)
    if counts is not None and (int(counts["warnings"]) or int(counts["errors"])):
        return True
    return any(m["level"] != "info" for m in _LOG_LINE.finditer(body))


def _status(result: str, warnings: int, errors: int, *, proven: bool) -> tuple[Status, str]:
    """Failed per the subject; a success with logged warnings or errors is a warning.

    Success needs the script's own markers: 'success' at the end of the subject and the
    '( N infos, N warnings, N errors)' line. Without either it is a warning, with the
    reason (second item) to add to the message.
    """
    if result.lower() == "failed":
        return Status.FAILED, ""
    if warnings or errors:
        return Status.WARNING, ""
    if result.lower() != "success":
        return Status.WARNING, " (success not proven: the subject gives no result)"
    if not proven:
        return Status.WARNING, " (success not proven: no infos/warnings/errors count line)"
    return Status.SUCCESS, ""


def _message(head: re.Match[str], counts: re.Match[str] | None, body: str, status: Status) -> str:
    """'Incremental file backup: 3 infos, 1 warning, 0 errors' plus the first problem line."""
    level = ("resumed " if head.groupdict().get("resumed") else "") + head["level"].lower()
    text = f"{level} {head['kind'].lower()} backup".capitalize()
    if counts is not None:
        text += ": " + counts.group(0).strip("( )")
    problem = _first_problem(body) if status is not Status.SUCCESS else ""
    return f"{text}; {problem}" if problem else text


def _first_problem(body: str) -> str:
    """The first error log line, else the first warning line."""
    lines = list(_LOG_LINE.finditer(body))
    for level in ("error", "warning"):
        for m in lines:
            if m["level"] == level:
                return m["msg"]
    return ""


def _log_span(body: str, tz: tzinfo) -> tuple[datetime | None, datetime | None]:
    """First and last log line times."""
    stamps: list[datetime] = []
    for m in _LOG_LINE.finditer(body):
        try:
            stamps.append(datetime.strptime(m["at"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=tz))
        except ValueError:
            continue
    return (min(stamps), max(stamps)) if stamps else (None, None)


PARSERS = [UrBackupReportParser(), UrBackupAlertParser()]
