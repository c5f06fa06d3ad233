"""Synology DSM parsers: Hyper Backup, Active Backup for Business and for Microsoft 365.

DSM mails are HTML-only ('<BR>' line breaks), often in the NAS's language: German,
Danish and English status wording is read (Italian loosely). Partially completed and
skipped tasks are warnings, a missed schedule is a failure. The Active Backup reports
are read from the subject (no body sample is known). Times in the body carry no zone:
the Date header's zone is used, or UTC when the mail has none (saved bodies).
The DSM 'Test Message' mail is recognised and ignored. Success needs DSM's own success
wording as the whole task result (Active Backup) and no failure wording in the subject or
the lead line (Hyper Backup); anything less is at most a warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from parsers.mailview import MailView
from parsers.model import IgnoreMail, Report, Status
from parsers.textutil import (
    br_to_newlines,
    doubted,
    find_field,
    parse_duration_words,
    parse_loose_datetime,
    parse_size,
    strip_reply_prefixes,
    unquote_body,
    zone_of,
)

PRODUCT = "synology"

_MISSED = re.compile(r"missede deres planlagte|missed (?:its|their|the) sched|verpasst", re.I)
_FAILED = re.compile(r"mislykkedes|fehlgeschlagen|\bfailed\b|non riuscit|échoué", re.I)
_PARTIAL = re.compile(r"delvist gennemført|partially completed|teilweise|parzialmente", re.I)
_SKIPPED = re.compile(r"blev ignoreret|\bskipped\b|übersprungen|ignoriert|ignorat", re.I)
_SUCCESS = re.compile(
    r"fuldført|completed|erfolgreich|abgeschlossen|completata|succeeded|successful", re.I
)
_RULES = (
    (_MISSED, Status.FAILED, "missed schedule"),
    (_FAILED, Status.FAILED, "failed"),
    (_PARTIAL, Status.WARNING, "partially completed"),
    (_SKIPPED, Status.WARNING, "skipped"),
    (_SUCCESS, Status.SUCCESS, "completed"),
)


@dataclass(frozen=True, slots=True)
class Verdict:
    """A status read from status words, with a short English label."""

    status: Status
    label: str


def verdict(text: str) -> Verdict | None:
    """The status the wording of `text` states (first matching rule wins), or None."""
    for pattern, status, label in _RULES:
        if pattern.search(text):
            return Verdict(status, label)
    return None


# --- Active Backup for Business / Microsoft 365 --------------------------------------

_ABB = re.compile(
    r"^(?P<prefix>.*?)\s*Active Backup for (?P<what>Business|Microsoft 365)\s*[-–—]\s*"
    r"(?P<rest>.+)$",
    re.I,
)
_ABB_TASK = re.compile(
    r"^(?:backupopgave(?:n|rne)?|backup[- ]?(?:task|job)s?|Sicherungsaufgaben?|Backup-Aufgaben?|"
    r"attività di backup)?\s*(?P<task>\[[^\]]*\]|.*?)\s+(?:på|on|auf|su|sur|op)\s+"
    r"(?P<nas>\[[^\]]*\]|\S+)\s+(?P<result>.+)$",
    re.I,
)
_JOB_TYPES = {"business": "active-backup", "microsoft 365": "active-backup-m365"}
# The whole result of a successful task, as DSM words it; nothing else is a success.
_ABB_SUCCESS = re.compile(
    r"(?:(?:er|is|has|was|has been|ist|wurde|è stata|è)\s+)?"
    r"(?:fuldført|completed|abgeschlossen|erfolgreich(?:\s+abgeschlossen)?|completata|"
    r"succeeded|successful)(?:\s+successfully)?\.?",
    re.I,
)


class ActiveBackupParser:
    """Active Backup for Business and for Microsoft 365 task mails (read from the subject)."""

    name = "synology-active-backup"
    product = PRODUCT
    version = "1"
    priority = 50

    def matches(self, mail: MailView) -> bool:
        """An 'Active Backup for Business|Microsoft 365 - …' subject."""
        return bool(_ABB.search(mail.subject))

    def parse(self, mail: MailView) -> list[Report]:
        """One report for the task named in the subject."""
        head = _ABB.search(strip_reply_prefixes(mail.subject))
        if head is None:
            return []
        rest = head.group("rest").strip()
        task = _ABB_TASK.match(rest)
        result = task.group("result") if task else rest
        found = verdict(result)
        if found is None:
            return []
        body = br_to_newlines(unquote_body(mail.body)).splitlines()
        found = _worst(found, *_problem_verdicts(body)) or found
        if found.status is Status.SUCCESS and not _ABB_SUCCESS.fullmatch(result.strip()):
            # A success word inside other wording ('partixlly completed') proves nothing.
            found = Verdict(Status.WARNING, f"result not recognised: {result.strip()!r}")
        name = _unbracket(task.group("task")) if task else ""
        host = _unbracket(task.group("nas")) if task else _unbracket(head.group("prefix"))
        return [
            Report(
                product=PRODUCT,
                job_type=_JOB_TYPES[head.group("what").lower()],
                job_name=name or "(all tasks)",
                host=host,
                status=found.status,
                message=_abb_message(found, name, host),
            )
        ]


def _abb_message(found: Verdict, task: str, host: str) -> str:
    """A short English line for the result."""
    if found.label == "missed schedule":
        return f"backup tasks on {host} missed their scheduled run"
    return f"backup task {task} {found.label}" if task else found.label


def _unbracket(text: str) -> str:
    """`text` without surrounding whitespace and square brackets."""
    return text.strip().strip("[]").strip()


# --- Hyper Backup ----------------------------------------------------------------------

_HB_SUBJECT = re.compile(
    r"hyper backup|databackupopgave|datensicherungsaufgabe|data backup task", re.I
)
_HB_BODY = re.compile(
    r"Datensicherungsaufgabe|Hyper Backup|\.hbk\b|Backupopgave\s*:|Backup task\s*:|Task\s*:",
    re.I,
)
# The same search for ASCII text, which is most mail: on ASCII, IGNORECASE is exactly
# matching the lowercased text, and each alternative needs one of these words, so most
# mails are ruled out by substring checks (the case-insensitive regex is many times slower).
_HB_BODY_LOWER = re.compile(
    r"datensicherungsaufgabe|hyper backup|\.hbk\b|backupopgave\s*:|backup task\s*:|task\s*:"
)
_HB_BODY_WORDS = ("task", "hyper backup", "datensicherungsaufgabe", ".hbk", "backupopgave")


def _hb_body(text: str) -> bool:
    """Whether `text` has Hyper Backup wording (`_HB_BODY`)."""
    if not text.isascii():
        return bool(_HB_BODY.search(text))
    low = text.lower()
    return any(word in low for word in _HB_BODY_WORDS) and bool(_HB_BODY_LOWER.search(low))


_TASK_LABELS = (
    "Datensicherungsaufgabe",
    "Sicherungsaufgabe",
    "Backupopgave",
    "Backup task",
    "Task",
)
_TARGET_LABELS = (
    "Datensicherungsziel",
    "Sicherungsziel",
    "Backupdestination",
    "Backup destination",
)
_START_LABELS = ("Startzeit", "Start", "Starttid", "Start time")
_DURATION_LABELS = ("Dauer", "Varighed", "Duration")
_SOURCE_TOTAL = re.compile(
    r"^(?:Quellgröße gesamt|Kildestørrelse i alt|Total source size)\s*:", re.I
)
_GROWTH_LABELS = ("Erhöhte Zielgröße", "Øget destinationsstørrelse", "Increased target size")
_FROM_LINE = re.compile(r"^(?:Von|Fra|From|Da|De)\s+(\S+)\s*$", re.M)
_SUBJECT_TASK = re.compile(
    r"\s[-–]\s(?P<task>.+?)\s+(?:erfolgreich|fehlgeschlagen)\s+auf\s+(?P<host>\S+)"
    r"|data backup task\s+(?P<task_en>.+?)\s+on\s+(?P<host_en>\S+)",
    re.I,
)
_SUBJECT_HOST = re.compile(r"\s(?:auf|på|on)\s+(?P<host>[^\s\]]+)(?:\s+\S+)?\s*$")
_QUOTED_SUBJECT_LABELS = ("Subject", "Betreff", "Emne", "Oggetto", "Objet")


class HyperBackupParser:
    """Hyper Backup task result mails (German, Danish and English wording)."""

    name = "synology-hyper-backup"
    product = PRODUCT
    version = "1"
    priority = 50

    def matches(self, mail: MailView) -> bool:
        """A Hyper Backup subject, or Hyper Backup field labels in the body."""
        if "active backup for" in mail.subject.lower():
            return False
        if _HB_SUBJECT.search(mail.subject):
            return True
        return _hb_body((mail.text or mail.html)[:5000])

    def parse(self, mail: MailView) -> list[Report]:
        """One report for the backup task."""
        body = br_to_newlines(unquote_body(mail.body))
        subject = _subject(mail, body)
        lines = [line.strip() for line in body.splitlines() if line.strip()]
        lead = next((line for line in lines if not _is_quoted_header(line)), "")
        # Any other line stating a failure, a partial run or a skip counts as well.
        found = _worst(verdict(subject), verdict(lead), *_problem_verdicts(lines))
        if found is None:
            return []
        from_subject = _SUBJECT_TASK.search(subject)
        subject_task = (
            (from_subject.group("task") or from_subject.group("task_en")) if from_subject else ""
        )
        task = _field(body, _TASK_LABELS) or subject_task or ""
        started = _start(body, mail)
        duration = parse_duration_words(_field(body, _DURATION_LABELS))
        message = lead if lead and verdict(lead) else f"Hyper Backup task {found.label}"
        status, message = doubted(found.status, message, body)
        return [
            Report(
                product=PRODUCT,
                job_type="hyper-backup",
                job_name=task or "Hyper Backup",
                host=_host(body, subject),
                status=status,
                started_at=started,
                ended_at=started + duration if started and duration is not None else None,
                message=message,
                size_bytes=_source_total(lines),
                transferred_bytes=parse_size(_field(body, _GROWTH_LABELS)),
            )
        ]


# A count of nothing states no problem: 'Devices: 1 succeeded, 0 partially, 0 failed'.
_ZERO_OF = re.compile(
    r"(?<![\d.,])\b0[ \t]{1,5}\w{1,40}|\b\w{1,40}[ \t]{0,5}[:=][ \t]{0,5}0\b(?![\d.,])"
)


def _problem_verdicts(lines: list[str]) -> list[Verdict]:
    """The verdicts of body lines that state anything but a success (zero counts aside)."""
    found = (verdict(_ZERO_OF.sub(" ", line)) for line in lines)
    return [v for v in found if v is not None and v.status is not Status.SUCCESS]


def _worst(*verdicts: Verdict | None) -> Verdict | None:
    """The worst of the verdicts found: a failure in the lead line is never outvoted by a
    success subject (a quoted or appended 'Subject:' line can say anything)."""
    found = [v for v in verdicts if v is not None]
    return max(found, key=lambda v: v.status.rank) if found else None


def _subject(mail: MailView, body: str) -> str:
    """The subject, or a 'Betreff:'/'Subject:' line quoted at the top of a saved body."""
    if mail.subject:
        return strip_reply_prefixes(mail.subject)
    head = "\n".join(body.splitlines()[:20])
    return (find_field(head, *_QUOTED_SUBJECT_LABELS) or "").strip()


def _is_quoted_header(line: str) -> bool:
    """A 'Betreff: …'/'Absender: …' label line that a saved copy put above the body."""
    label = line.split(":", 1)[0].strip().lower()
    return ":" in line and label in {"absender", "sender", "from", "betreff", "subject", "emne"}


def _field(body: str, labels: tuple[str, ...]) -> str:
    """The first value of any of `labels` ('' when absent)."""
    return (find_field(body, *labels) or "").strip()


def _start(body: str, mail: MailView) -> datetime | None:
    """The start time ('Sa, 25 Jan 2025 02:00:01') in the Date header's zone, else UTC."""
    raw = _field(body, _START_LABELS)
    return parse_loose_datetime(raw, zone_of(mail.date)) if raw else None


def _host(body: str, subject: str) -> str:
    """The NAS from the 'Von <host>' signature, else from '… auf <host>' in the subject."""
    m = _FROM_LINE.search(body)
    if m is not None:
        return m.group(1)
    m = _SUBJECT_HOST.search(subject) or re.search(r"\sauf\s+(\S+)\s+ist\s", body)
    return m.group(1) if m else ""


def _source_total(lines: list[str]) -> int | None:
    """The sum of the '- <kind>: <size>' lines under 'Quellgröße gesamt:'."""
    start = next((i for i, line in enumerate(lines) if _SOURCE_TOTAL.match(line)), None)
    if start is None:
        return None
    sizes: list[int] = []
    for line in lines[start + 1 :]:
        if not line.startswith("-"):
            break
        size = parse_size(line.rsplit(":", 1)[-1])
        if size is not None:
            sizes.append(size)
    return sum(sizes) if sizes else None


# --- DSM notices -------------------------------------------------------------------------


class DsmNoticeParser:
    """DSM mails that are not backup reports (the notification test message)."""

    name = "synology-dsm-notice"
    product = PRODUCT
    version = "1"
    priority = 50

    def matches(self, mail: MailView) -> bool:
        """The DSM test message."""
        return "test message from" in mail.subject.lower() and (
            "email notification" in (mail.text or mail.html)[:2000].lower()
        )

    def parse(self, mail: MailView) -> list[Report]:
        """Always ignored."""
        raise IgnoreMail(f"Synology DSM notification test message, not a report: {mail.subject!r}")


PARSERS = [ActiveBackupParser(), HyperBackupParser(), DsmNoticeParser()]
