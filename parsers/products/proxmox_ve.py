"""Proxmox VE parsers: vzdump backup status mails and storage replication failures.

vzdump mails come in three generations (legacy sendmail ≤ 8.0, notification system 8.1,
handlebars templates 8.2+); all carry a guest table (text and HTML) and the task log.
One report per mail, one object per guest. A success needs the subject's 'backup
successful', a guest table and no ERROR/WARN line in the log (else a warning). Log times
carry no zone: the zone of the Date header is used, or UTC when the mail has none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, tzinfo

from parsers.mailview import MailView
from parsers.model import Report, ReportObject, Status
from parsers.textutil import parse_size, strip_reply_prefixes, unquote_body, zone_of

PRODUCT = "proxmox"

_SUBJECT = re.compile(
    r"vzdump backup status \((?P<host>[^)]*)\)\s*:\s*backup (?P<stat>successful|failed)"
    r"(?::\s*(?P<err>.*))?",
    re.I,
)
# Linear on hostile text: `^` is followed by `[ \t]*` (a `\s*` there spans every following
# blank line under re.M), a value ends at its last non-space (`(?:.*\S)?`, not `.*?\s*$`,
# which retries the trailing spaces at every character), and table rows are capped.
_HEADER = re.compile(r"^[ \t]*VMID\s+Name\s+Status\s+Time\s+Size\s+Filename\s*$", re.I | re.M)
# Also finds the header in quoted or line-numbered (pasted) copies: used by `matches`.
_HEADER_ANYWHERE = re.compile(
    r"^[ \t>]*(?:\d+\.\s+)?VMID\s+Name\s+Status\s+Time\s+Size\s+Filename\s*$", re.I | re.M
)
_ROW = re.compile(
    r"^\s*(?P<vmid>\d+)\s+(?P<name>\S.*?)\s+(?P<status>ok|err|todo)\s+(?P<time>\S.*?)\s+"
    r"(?P<size>\d[\d.,]*\s?[KMGTPE]?i?B)\s+(?P<file>\S+)\s*$",
    re.I,
)
_LOG_TIME = re.compile(r"^(?:\d+: )?(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) ", re.M)
_TOTAL_SIZE = re.compile(r"^[ \t]*Total size:[^\S\n]*(\S(?:.*\S)?)[^\S\n]*$", re.M)
_MAX_ROW = 500
"""Longer lines are no guest row (_ROW's two lazy cells would be retried at every space)."""
_FORWARD_LINE = re.compile(
    r"^\s*(?:(?:From|To|Cc|Date|Sent|Subject|Von|An|Gesendet|Betreff|Datum|De|À|Envoyé|Objet|"
    r"Fra|Til|Sendt|Emne)\s*:|.*(?:Forwarded message|Original Message|Weitergeleitete "
    r"Nachricht|Ursprüngliche Nachricht|Message transféré)|-{5,})",
    re.I,
)
_KIND_BY_PREFIX = (
    ("vm/", "vm"),
    ("ct/", "container"),
    ("vzdump-qemu-", "vm"),
    ("vzdump-lxc-", "container"),
    ("vzdump-openvz-", "container"),
)


@dataclass(frozen=True, slots=True)
class Guest:
    """One row of the vzdump guest table."""

    vmid: str
    name: str
    ok: bool
    size: int | None
    filename: str
    message: str = ""


class VzdumpParser:
    """vzdump backup status mails of every Proxmox VE generation, forwarded copies too."""

    name = "proxmox-vzdump"
    product = PRODUCT
    version = "1"
    priority = 50

    def matches(self, mail: MailView) -> bool:
        """A vzdump subject, or a headerless saved body holding the vzdump guest table."""
        if "vzdump backup status" in mail.subject.lower():
            return True
        return not mail.has_headers and bool(_HEADER_ANYWHERE.search(mail.text[:20000]))

    def parse(self, mail: MailView) -> list[Report]:
        """One report with one object per guest."""
        head = _SUBJECT.search(strip_reply_prefixes(mail.subject))
        text = _text_body(mail)
        guests = _guests(mail, text)
        if head is None and not guests:
            return []
        status = _status(head, guests, text)
        doubt = _doubt(head, guests, text) if status is Status.SUCCESS else ""
        if doubt:
            status = Status.WARNING
        host = head.group("host").strip() if head else ""
        started, ended = _log_span(text, zone_of(mail.date))
        report = Report(
            product=PRODUCT,
            job_type="vzdump",
            job_name=host or "vzdump",
            host=host,
            status=status,
            started_at=started,
            ended_at=ended,
            message="; ".join(p for p in (_message(head, guests, text), doubt) if p),
            size_bytes=_total_size(text, guests),
            objects=tuple(_object(g, text) for g in guests),
        )
        return [report]


class ReplicationParser:
    """Storage replication failure mails ('Replication Job: <id> failed')."""

    name = "proxmox-replication"
    product = PRODUCT
    version = "1"
    priority = 50

    _SUBJECT = re.compile(r"Replication Job:\s*'?(?P<id>[^'\s]+)'?\s+failed", re.I)
    _TARGET = re.compile(r"with target '(?P<target>[^']*)'", re.I)

    def matches(self, mail: MailView) -> bool:
        """The replication failure subject."""
        return bool(self._SUBJECT.search(mail.subject))

    def parse(self, mail: MailView) -> list[Report]:
        """One failed report for the replication job."""
        head = self._SUBJECT.search(mail.subject)
        if head is None:
            return []
        body = unquote_body(mail.body)
        target = self._TARGET.search(body)
        error = _after_label(body, "Error:")
        parts = [f"target {target.group('target')}" if target else "", error]
        return [
            Report(
                product=PRODUCT,
                job_type="replication",
                job_name=head.group("id"),
                host=mail.sender_domain,
                status=Status.FAILED,
                message="; ".join(p for p in parts if p) or "replication failed",
            )
        ]


def _text_body(mail: MailView) -> str:
    """The text to read: text part, else HTML as text, without quote marks."""
    text = mail.text if _HEADER.search(unquote_body(mail.text)) else mail.body
    return unquote_body(text)


def _guests(mail: MailView, text: str) -> list[Guest]:
    """Guest rows from the HTML table (full names, legacy error cells), else the text."""
    rows = [g for g in (_html_row(cells) for cells in _html_cells(mail)) if g]
    return rows or [g for g in (_text_row(line) for line in _table_lines(text)) if g]


def _html_cells(mail: MailView) -> list[list[str]]:
    """The cell texts of every HTML table row (a `<td>` closed by `</th>` still ends a cell)."""
    tree = mail.html_tree
    if tree is None:
        return []
    rows: list[list[str]] = []
    for tr in tree.css("tr"):
        cells = [c for c in tr.iter() if c.tag in {"td", "th"}]
        rows.append([" ".join((c.text(deep=True) or "").split()) for c in cells])
    return rows


def _table_lines(text: str) -> list[str]:
    """The lines after the guest table header (up to the first blank line)."""
    m = _HEADER.search(text)
    if m is None:
        return []
    out: list[str] = []
    for line in text[m.end() :].lstrip("\n").splitlines():
        if not line.strip():
            break
        out.append(line)
    return out


def _text_row(line: str) -> Guest | None:
    """A guest from a padded (or whitespace-collapsed) text table row."""
    m = _ROW.match(line) if len(line) <= _MAX_ROW else None
    if m is None:
        return None
    ok = m.group("status").lower() == "ok"
    return Guest(m.group("vmid"), m.group("name"), ok, parse_size(m.group("size")), m["file"])


def _html_row(cells: list[str]) -> Guest | None:
    """A guest from the cells of an HTML table row."""
    if len(cells) < 5 or not cells[0].isdigit():
        return None
    state = cells[2].lower()
    if state not in {"ok", "err", "failed", "todo"}:
        return None
    if state == "ok":
        filename = cells[5] if len(cells) > 5 else ""
        return Guest(cells[0], cells[1], True, parse_size(cells[4]), filename)
    if state == "failed":  # legacy: the error message spans the size and filename cells
        return Guest(cells[0], cells[1], False, None, "", cells[4])
    return Guest(cells[0], cells[1], False, None, cells[5] if len(cells) > 5 else "")


def _status(head: re.Match[str] | None, guests: list[Guest], text: str) -> Status:
    """Failed when the subject, a guest row or the log says so."""
    statuses = [Status.SUCCESS if g.ok else Status.FAILED for g in guests]
    if head is not None and head.group("stat").lower() == "failed":
        statuses.append(Status.FAILED)
    if "Backup job finished with errors" in text:
        statuses.append(Status.FAILED)
    return Status.worst(statuses)


_LOG_PROBLEM = re.compile(r"\b(?i:error|warn|warning):(?:[ \t][^\n]*)?$", re.M)


def _doubt(head: re.Match[str] | None, guests: list[Guest], text: str) -> str:
    """Why a success reading is not proven ('' when it is).

    vzdump proves a success with its subject's 'backup successful' and an 'ok' row per
    guest; an ERROR or WARN line left in the log is not accounted for by either.
    """
    if head is None:
        return "success not proven: no 'vzdump backup status' subject"
    if not guests:
        return "success not proven: no guest table"
    problem = _LOG_PROBLEM.search(text)
    if problem is not None:
        return f"the log has {problem.group(0).strip()[:200]}"
    return ""


def _message(head: re.Match[str] | None, guests: list[Guest], text: str) -> str:
    """The job error above the table, the subject's error, or a failed-guest count."""
    preamble = _preamble(text)
    if preamble:
        return preamble
    if head is not None and head.group("err"):
        return head.group("err").strip()
    failed = sum(1 for g in guests if not g.ok)
    return f"{failed} of {len(guests)} guests failed" if failed else ""


def _preamble(text: str) -> str:
    """Error text printed before the 'Details' heading or the table (forward headers dropped)."""
    m = _HEADER.search(text)
    if m is None:
        return ""
    head = text[: m.start()].split("Details\n=", 1)[0]
    lines = [line.strip() for line in head.splitlines()]
    # In a forwarded copy only what follows the quoted header block is the report's.
    starts = [i + 1 for i, line in enumerate(lines) if _FORWARD_LINE.match(line)]
    kept = lines[starts[-1] if starts else 0 :]
    return " ".join(line for line in kept if line and line not in {"Details", "======="})


def _object(guest: Guest, text: str) -> ReportObject:
    """The report object of one guest."""
    status = Status.SUCCESS if guest.ok else Status.FAILED
    message = "" if guest.ok else guest.message or _guest_error(guest.vmid, text)
    return ReportObject(f"{guest.name} ({guest.vmid})", _kind(guest, text), status, message)


def _kind(guest: Guest, text: str) -> str:
    """'vm' or 'container' from the archive name or the log, else 'guest'."""
    base = guest.filename.rsplit("/", 1)[-1] if "vzdump-" in guest.filename else guest.filename
    for prefix, kind in _KIND_BY_PREFIX:
        if base.startswith(prefix):
            return kind
    m = re.search(rf"^{guest.vmid}: .*Starting Backup of VM {guest.vmid} \((\w+)\)", text, re.M)
    if m is None:
        return "guest"
    return "container" if m.group(1).lower() in {"lxc", "openvz"} else "vm"


def _guest_error(vmid: str, text: str) -> str:
    """The guest's 'Backup of VM … failed - …' log line, else its last ERROR line."""
    errors = re.findall(rf"^{vmid}: .*?ERROR: ((?:.*\S)?)[^\S\n]*$", text, re.M)
    failed = [e for e in errors if "Backup of VM" in e and "failed" in e]
    chosen = failed[-1] if failed else (errors[-1] if errors else "backup failed")
    return chosen.split(" failed - ", 1)[-1] if " failed - " in chosen else chosen


def _log_span(text: str, tz: tzinfo) -> tuple[datetime | None, datetime | None]:
    """First and last timestamp of the task log."""
    stamps: list[datetime] = []
    for raw in _LOG_TIME.findall(text):
        try:
            stamps.append(datetime.strptime(raw, "%Y-%m-%d %H:%M:%S").replace(tzinfo=tz))
        except ValueError:
            continue
    return (min(stamps), max(stamps)) if stamps else (None, None)


def _total_size(text: str, guests: list[Guest]) -> int | None:
    """'Total size:' of the mail, else the sum of the successful guests' sizes."""
    m = _TOTAL_SIZE.search(text)
    if m is not None:
        return parse_size(m.group(1))
    sizes = [g.size for g in guests if g.ok and g.size is not None]
    return sum(sizes) if sizes else None


def _after_label(text: str, label: str) -> str:
    """The non-empty lines after a line that is exactly `label`, joined."""
    _, found, rest = text.partition(f"\n{label}\n")
    if not found:
        return ""
    return " ".join(line.strip() for line in rest.splitlines() if line.strip())


PARSERS = [VzdumpParser(), ReplicationParser()]
