"""burp server notification mails (the stock `notify_script`), one client per mail.

The subject comes from `notify_success_arg`/`notify_failure_arg`, by default
`%b succeeded: %c %w` / `%b failed: %c %w` (`backup succeeded with warnings: HP24_Full
(2 warnings)`). The body is the backup number and time (`0000004 2017-07-03 07:20:01`),
`<path to log>:` and the server log (`<time>: burp[pid] …`), or only an error buffer.
The subject gives the status; `WARNING:` lines in the log make a succeeded run a warning
even when the subject lacks the count (protocol 2, issue #631). Without a subject (a saved
body) ERROR lines fail it and anything else is a warning, since only the subject proves a
success. A `Subject:` line quoted at the top of a saved or forwarded body stands in for a
missing subject.

Times: log stamps carry their offset when burp prints one (`+0100`); otherwise they are
read in the zone of the mail's Date header, or UTC when the mail has none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from parsers.mailview import MailView
from parsers.model import Report, Status
from parsers.textutil import quoted_subject, zone_of

_SUBJECT = re.compile(
    r"^\s*(?P<op>backup|restore|verify)\s+(?P<result>succeeded|failed)(?P<with>\s+with warnings)?"
    r"\s*:\s*(?P<client>.*?)\s*(?:\((?P<count>\d+)\s+warnings?\))?\s*$",
    re.I,
)
_ID_LINE = re.compile(
    r"^(?P<number>\d{7}) (?P<stamp>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?: (?P<zone>[+-]\d{4}))?\s*$"
)
_LOG_PATH = re.compile(r"^(?:Last \d+ lines of )?(?P<path>/\S*/log(?:\.gz)?):\s*$")
_STAMP = r"(?P<stamp>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?: (?P<zone>[+-]\d{4}))?"
_LOG_LINE = re.compile(rf"^{_STAMP}: burp\[\d+\] ?(?P<text>.*)$")
_LOG_MARKER = re.compile(rf"^(?:> ?)?{_STAMP}: burp\[\d+\]", re.M)
_CLIENT_DIR = re.compile(r"/(?P<client>[^/\s]+)/(?:working|finishing|current|\d{7}[^/]*)/log")
_CLIENT_WARNING = re.compile(r"Client '(?P<client>[^']+)' version")
_SUBJECT_LINE = re.compile(r"(?:e-?mail\s+)?subject\s*:", re.I)
_ERRORISH = re.compile(r"\berror\b|\bfailed\b|could not|unable to", re.I)
_MAX_MESSAGE = 300


@dataclass
class _Log:
    """What the body says: backup stamp, log path, log lines and other lines."""

    started: datetime | None = None
    path: str = ""
    stamps: list[datetime] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)


def _stamp(stamp: str, zone: str | None, tz: tzinfo) -> datetime | None:
    """A burp time stamp, with its own offset when it has one."""
    try:
        if zone:
            return datetime.strptime(f"{stamp} {zone}", "%Y-%m-%d %H:%M:%S %z")
        return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S").replace(tzinfo=tz)
    except ValueError:
        return None


def _unquote(line: str) -> str:
    """A body line without mail quoting (`> `) and surrounding blanks."""
    return re.sub(r"^(?:>\s?)+", "", line).strip()


def _add_log_line(log: _Log, m: re.Match[str], tz: tzinfo) -> None:
    """Record one `<time>: burp[pid] …` line."""
    when = _stamp(m["stamp"], m["zone"], tz)
    if when is not None:
        log.stamps.append(when)
    text = m["text"].strip()
    if text.upper().startswith("WARNING"):
        log.warnings.append(text.partition(":")[2].strip() or text)
    elif text.upper().startswith("ERROR") or text.lower().startswith("error"):
        log.errors.append(text)


def _read_log(body: str, tz: tzinfo) -> _Log:
    """Walk the body once and collect the log facts."""
    log = _Log()
    for raw in body.splitlines():
        line = _unquote(raw)
        log_line = _LOG_LINE.match(line)
        if log_line:
            _add_log_line(log, log_line, tz)
            continue
        id_line = _ID_LINE.match(line)
        path = _LOG_PATH.match(line)
        if id_line and log.started is None:
            log.started = _stamp(id_line["stamp"], id_line["zone"], tz)
        elif path:
            log.path = path["path"]
        elif line and not line.startswith("```") and not _SUBJECT_LINE.match(line):
            log.other.append(line)
    return log


def _client(subject: re.Match[str] | None, log: _Log, body: str) -> str:
    """The client: from the subject, else the log path, else a version warning."""
    if subject and subject["client"]:
        return subject["client"]
    m = _CLIENT_DIR.search(log.path)
    if m:
        return m["client"]
    m = _CLIENT_WARNING.search(body)
    return m["client"] if m else ""


def _status(subject: re.Match[str] | None, log: _Log) -> Status:
    """Failed per subject (or logged errors without one), warning for any warning.

    Only the notify subject's 'succeeded' proves a success: a saved body without it is
    at best a warning, and so is a success whose log holds ERROR lines.
    """
    failed = bool(log.errors) if subject is None else subject["result"].lower() == "failed"
    if failed:
        return Status.FAILED
    if subject is None:
        return Status.WARNING
    counted = subject["with"] or int(subject["count"] or 0) > 0
    return Status.WARNING if counted or log.warnings or log.errors else Status.SUCCESS


def _message(status: Status, subject: re.Match[str] | None, log: _Log) -> str:
    """The first error (failed) or a warning count with the first warning."""
    if status is Status.FAILED:
        candidates = log.errors + [line for line in log.other if _ERRORISH.search(line)]
        return candidates[0][:_MAX_MESSAGE] if candidates else "backup failed"
    if status is Status.WARNING and not log.warnings and not (subject and subject["count"]):
        if log.errors:
            return f"succeeded, but the log has errors: {log.errors[0]}"[:_MAX_MESSAGE]
        return "no burp notify subject: success not proven"
    if status is Status.WARNING:
        count = int(subject["count"]) if subject and subject["count"] else len(log.warnings)
        first = f": {log.warnings[0]}" if log.warnings else ""
        noun = "warning" if count == 1 else "warnings"
        return f"{count} {noun}{first}"[:_MAX_MESSAGE]
    return ""


class BurpParser:
    """burp server notifications (backup/restore/verify succeeded or failed)."""

    name = "burp"
    product = "burp"
    version = "1"
    priority = 60

    def matches(self, mail: MailView) -> bool:
        """burp log lines in the body, or the notify_script subject."""
        subject = mail.subject or quoted_subject(mail.body)
        body = mail.body
        return bool(_SUBJECT.match(subject)) or ("burp[" in body and bool(_LOG_MARKER.search(body)))

    def parse(self, mail: MailView) -> list[Report]:
        """One report for the client the mail is about."""
        body = mail.body
        log = _read_log(body, zone_of(mail.date))
        subject = _SUBJECT.match(mail.subject or quoted_subject(body))
        client = _client(subject, log, body)
        status = _status(subject, log)
        report = Report(
            product="burp",
            job_type=subject["op"].lower() if subject else "backup",
            job_name=client,
            host=client,
            status=status,
            started_at=log.started or (log.stamps[0] if log.stamps else None),
            # The last stamp seen; in the cut-off corpus pastes (issue-587/631/814…) that
            # is where the copy ends, which is still the best the mail says.
            ended_at=log.stamps[-1] if log.stamps else None,
            message=_message(status, subject, log),
        )
        return [report]


PARSERS = [BurpParser()]
