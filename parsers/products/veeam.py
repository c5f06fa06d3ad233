"""Veeam report mails: Backup & Replication jobs, Veeam Agents and Backup for Microsoft 365.

No real Veeam mail is public, so this parser follows Veeam's documented layout (default
subjects in the VBR/VB365/Agent user guides, the report screenshots of the Agent guides,
and the layout VeeamHub's BR-MimicReport reproduces):

* subject `[Success|Warning|Failed] <job> (<n> objects|VMs) <issues>`, VB365
  `[<result>] <org> - <job> (<n> objects), <m> issues`; text may precede the bracket;
* a header band `<Kind> job: <name>` (Backup, Backup Copy, Replication, Agent Backup,
  Agent backup policy, Configuration Backup) with the status and `n of m … processed`;
* a session date row, a label/value grid (Start time, End time, Duration, Total size,
  Backup size, Data read, Transferred, Dedupe, Compression, Success/Warning/Error counts,
  and a free-text job note) and a Details table (Name, Status, Start time, End time,
  Size, Read, Transferred, Duration, Details; VB365 adds Type).

Labels and status words are also read in German, French, Dutch and Danish, and class
names forwarded through Outlook/OWA (`x_` prefixes) are understood. A text-only body
with tab- or pipe-separated cells is read the same way.

Times: Veeam prints local wall-clock times without a zone. They are combined with the
session date and given the zone of the mail's Date header, or UTC when it has none.
Host: the computer of a standalone Veeam Agent, the organisation of a VB365 job, the
backed-up server of a configuration backup, and otherwise the sender address (the
backup server is not named in the report itself).
A Veeam "test e-mail/test message" raises IgnoreMail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from parsers.mailview import MailView
from parsers.model import IgnoreMail, Report, ReportObject, Status
from parsers.products._htmltable import (
    Records,
    Row,
    Table,
    alias_index,
    all_rows,
    label_values,
    records,
    tables,
    text_table,
)
from parsers.textutil import (
    doubted,
    parse_clock,
    parse_loose_date,
    parse_loose_datetime,
    parse_size,
)

PRODUCT = "veeam"

_STATUS_WORDS: dict[str, Status] = {
    word: status
    for status, words in (
        (
            Status.SUCCESS,
            "success successful succeeded erfolgreich erfolg succès succes réussi reussi "
            "réussite geslaagd gelukt succesvol fuldført gennemført lykkedes ok",
        ),
        (
            Status.WARNING,
            "warning warnings warnung warnungen avertissement avertissements waarschuwing "
            "waarschuwingen advarsel advarsler",
        ),
        (
            Status.FAILED,
            "failed failure error errors fehlgeschlagen fehler échec echec échoué erreur "
            "mislukt fout mislykkedes mislykket fejl fejlet",
        ),
    )
    for word in words.split()
}

_BRACKET = re.compile(r"\[([^\]]{2,40})\]")
_COUNT_TAIL = re.compile(
    r"\s*\(\s*\d+\s+[^)]*\)\s*,?\s*(?:\d+\s+(?:issues?|probleme?|problèmes?))?\s*$", re.I
)
_TEST_MAIL = re.compile(r"\btest[\s-]*(?:e-?mail|message|mail|nachricht|bericht)\b", re.I)
_RUN_SUFFIX = re.compile(
    r"\s*\((?:full|incremental|active full|synthetic full|retry \d+|vollständig|inkrementell"
    r"|complète|incrémentielle|volledig|incrementeel)\)\s*$",
    re.I,
)
_ORG_LINE = re.compile(r"^(?:organi[sz]ation|organisatie)\s*:\s*(.+)$", re.I)

_KINDS: dict[str, str] = {
    "backup job": "backup",
    "backup-job": "backup",
    "sicherungsjob": "backup",
    "job de sauvegarde": "backup",
    "back-uptaak": "backup",
    "backup copy job": "backup-copy",
    "backup-kopierjob": "backup-copy",
    "backupkopierjob": "backup-copy",
    "job de copie de sauvegarde": "backup-copy",
    "back-upkopietaak": "backup-copy",
    "replication job": "replication",
    "replikationsjob": "replication",
    "job de réplication": "replication",
    "replicatietaak": "replication",
    "agent backup job": "agent-backup",
    "agent-backup-job": "agent-backup",
    "agent backup policy": "agent-backup",
    "backup policy": "agent-backup",
    "agent-sicherungsrichtlinie": "agent-backup",
    "configuration backup job": "configuration-backup",
    "configuration backup": "configuration-backup",
    "konfigurationssicherungsjob": "configuration-backup",
    "konfigurationssicherung": "configuration-backup",
    "job de sauvegarde de configuration": "configuration-backup",
}
_HEADER = re.compile(
    r"^(?P<kind>" + "|".join(re.escape(k) for k in sorted(_KINDS, key=len, reverse=True)) + r")"
    r"\s*:\s*(?P<name>.+)$",
    re.I,
)
_OBJECT_TYPES = {
    "backup": "vm",
    "backup-copy": "vm",
    "replication": "vm",
    "agent-backup": "computer",
    "configuration-backup": "configuration",
    "m365-backup": "mailbox",
}
_M365_TYPES = {
    "mailbox": "mailbox",
    "archive mailbox": "mailbox",
    "shared mailbox": "mailbox",
    "user": "mailbox",
    "onedrive": "onedrive",
    "site": "site",
    "sharepoint": "site",
    "team": "team",
    "teams": "team",
    "group": "group",
}

_COLUMNS = alias_index(
    {
        "name": [
            "name",
            "vm",
            "vm name",
            "object",
            "computer",
            "machine",
            "mailbox",
            "objekt",
            "nom",
            "naam",
            "navn",
        ],
        "status": ["status", "statut", "result", "ergebnis", "resultaat"],
        "type": ["type", "typ", "object type", "objekttyp", "soort"],
        "details": ["details", "detail", "message", "error", "détails", "meldung", "bericht"],
    }
)
_SUMMARY = alias_index(
    {
        "start": ["start time", "startzeit", "heure de début", "begintijd", "starttid"],
        "end": ["end time", "endzeit", "heure de fin", "eindtijd", "sluttid"],
        "duration": ["duration", "dauer", "durée", "duur", "varighed"],
        "total_size": ["total size", "gesamtgröße", "taille totale", "totale grootte"],
        "backup_size": [
            "backup size",
            "sicherungsgröße",
            "backup-größe",
            "backupgröße",
            "taille de la sauvegarde",
            "back-upgrootte",
            "backupstørrelse",
        ],
        "read": ["data read", "gelesene daten", "données lues", "gelezen gegevens", "read"],
        "transferred": [
            "transferred",
            "übertragen",
            "transféré",
            "overgedragen",
            "overført",
            "data transferred",
        ],
        "dedupe": ["dedupe", "deduplizierung", "déduplication", "deduplicatie"],
        "compression": ["compression", "komprimierung", "compressie", "komprimering"],
        "rate": ["processing rate", "verarbeitungsrate", "vitesse de traitement"],
        "objects": ["processed objects", "verarbeitete objekte", "objets traités"],
        "items": ["items processed", "verarbeitete elemente", "éléments traités"],
        "organization": ["organization", "organisation", "organisatie"],
        "n_success": ["success", "erfolgreich", "succès", "geslaagd"],
        "n_warning": ["warning", "warnung", "avertissement", "waarschuwing"],
        "n_error": ["error", "fehler", "erreur", "fout"],
    }
)
_SIZE_IN = re.compile(r"\d[\d.,' \u00a0]*\s*(?:[KMGTP]i?B|bytes?|B)\b", re.I)


def status_word(text: str) -> Status | None:
    """The status a (possibly localised) Veeam status word means, or None."""
    words = text.strip().lower().split()
    return _STATUS_WORDS.get(words[0].strip(".:!,")) if words else None


def _subject_status(subject: str) -> tuple[Status, str] | None:
    """The status in the first `[word]` of the subject and the text after it."""
    for m in _BRACKET.finditer(subject):
        status = status_word(m.group(1))
        if status is not None and len(m.group(1).split()) == 1:
            return status, subject[m.end() :].strip()
    return None


def _mentions_veeam(mail: MailView) -> bool:
    """Whether the sender, subject or body names Veeam."""
    head = f"{mail.from_addr} {mail.from_name} {mail.subject}".lower()
    return "veeam" in head or "veeam" in mail.html.lower() or "veeam" in mail.text.lower()


@dataclass(frozen=True, slots=True)
class _Header:
    """The report's header band: kind, job name, status cell and extra lines."""

    job_type: str
    name: str
    status: Status | None
    lines: tuple[str, ...]


def _header(rows: list[Row]) -> _Header | None:
    """The first `<Kind> job: <name>` cell and the status cell beside it."""
    for row in rows:
        for i, cell in enumerate(row):
            m = _HEADER.match(cell.first)
            if m is None:
                continue
            after = row[i + 1].first if i + 1 < len(row) else ""
            name = _RUN_SUFFIX.sub("", m.group("name")).strip()
            kind = _KINDS[" ".join(m.group("kind").lower().split())]
            return _Header(kind, name, status_word(after), cell.lines[1:])
    return None


def _tables(mail: MailView) -> list[Table]:
    """The HTML tables of the mail, else a pseudo-table of its text body."""
    tree = mail.html_tree
    if tree is not None:
        found = tables(tree)
        if found:
            return found
    return [text_table(mail.text)]


def _session_date(found: list[Table], rows: list[Row], mail: MailView, tz: tzinfo) -> date | None:
    """The report date: the session-details row, else any dated cell, else the mail's Date."""
    for table in found:
        for row in table.rows:
            for cell in row:
                if "sessiondetails" in cell.classes:
                    day = parse_loose_date(cell.text)
                    if day is not None:
                        return day
    for row in rows:
        for cell in row:
            text = cell.text
            if "created" in text.lower() or "erstellt" in text.lower():
                continue
            day = parse_loose_date(text)
            if day is not None:
                return day
    return mail.date.astimezone(tz).date() if mail.date else None


def _stamp(value: str | None, day: date | None, tz: tzinfo) -> datetime | None:
    """A cell's time: its own date if it has one, else the clock time on `day`."""
    if not value:
        return None
    full = parse_loose_datetime(value, tz)
    if full is not None:
        return full
    clock = parse_clock(value)
    if clock is None or day is None:
        return None
    return datetime.combine(day, time(*clock), tzinfo=tz)


def _times(
    summary: dict[str, str], day: date | None, tz: tzinfo
) -> tuple[datetime | None, datetime | None]:
    """Job start and end (the end moved to the next day when it wraps midnight)."""
    start = _stamp(summary.get("start"), day, tz)
    end = _stamp(summary.get("end"), day, tz)
    if start and end and end < start:
        end += timedelta(days=1)
    return start, end


def _size(value: str | None) -> int | None:
    """Bytes of the first size in `value` ('38.6 GB', '29,8 GB (1.4x)')."""
    if not value:
        return None
    m = _SIZE_IN.search(value)
    return parse_size(m.group(0)) if m else None


def _object_type(job_type: str, type_text: str) -> str:
    """The object type of a details row for `job_type` (VB365: its Type column)."""
    if job_type != "m365-backup" or not type_text:
        return _OBJECT_TYPES[job_type]
    return _M365_TYPES.get(type_text.strip().lower(), type_text.strip().lower() or "mailbox")


def _objects(found: Records | None, job_type: str, fallback: Status) -> list[ReportObject]:
    """One ReportObject per named row of the details table."""
    if found is None:
        return []
    out: list[ReportObject] = []
    for row in found.rows:
        name = row["name"].text
        if not name:
            continue
        status = status_word(row["status"].text) or fallback
        message = row["details"].text if "details" in row else ""
        kind = _object_type(job_type, row["type"].text if "type" in row else "")
        out.append(ReportObject(name, kind, status, message))
    return out


def _is_m365(mail: MailView, rest: str) -> bool:
    """Whether the mail is a Veeam Backup for Microsoft 365 report."""
    body = (mail.html or mail.text).lower()
    if "veeam backup for microsoft 365" in body or "veeam backup for microsoft office 365" in body:
        return True
    return bool(re.search(r"\S - .+\(\s*\d+\s+objects?\s*\),\s*\d+\s+issues?", rest, re.I))


def _job_type(header: _Header | None, mail: MailView, rest: str) -> str:
    """The job type from VB365 markers, the header band, or keywords."""
    if _is_m365(mail, rest):
        return "m365-backup"
    if header is not None:
        return header.job_type
    low = f"{rest} {mail.body}".lower()
    if "configuration backup" in low or "backup configuration job" in low:
        return "configuration-backup"
    if "veeam agent for" in low:
        return "agent-backup"
    return "backup"


def _org_and_job(rest: str) -> tuple[str, str]:
    """(organisation, job) from a VB365 subject tail `<org> - <job> (n objects)…`."""
    org, sep, job = _COUNT_TAIL.sub("", rest).partition(" - ")
    return (org.strip(), job.strip()) if sep else ("", org.strip())


def _names(header: _Header | None, job_type: str, rest: str) -> tuple[str, str]:
    """(job name, organisation) from the header band, else from the subject."""
    org = ""
    if header is not None:
        for line in header.lines:
            m = _ORG_LINE.match(line)
            if m:
                org = m.group(1).strip()
    if job_type == "m365-backup":
        subject_org, subject_job = _org_and_job(rest)
        org = org or subject_org
        return (header.name if header else subject_job), org
    return (header.name if header else _COUNT_TAIL.sub("", rest).strip()), org


def _host(mail: MailView, job_type: str, org: str, objects: list[ReportObject]) -> str:
    """The host the report is about (see the module docstring)."""
    standalone = "veeam agent for" in (mail.html or mail.text).lower()
    if job_type == "m365-backup" and org:
        return org
    if objects and (job_type == "configuration-backup" or (standalone and len(objects) == 1)):
        return objects[0].name
    return mail.from_addr


def _message(notes: list[str], status: Status, objects: list[ReportObject]) -> str:
    """The job-level note, else (when not successful) the first object messages."""
    note = " ".join(" ".join(n.split()) for n in notes).strip()
    if note or status is Status.SUCCESS:
        return note
    seen: list[str] = []
    for obj in objects:
        if obj.message and obj.message not in seen:
            seen.append(obj.message)
    return "; ".join(seen[:3])


class VeeamParser:
    """Reads Veeam B&R, Veeam Agent and VB365 job-result mails (see the module docstring)."""

    name = "veeam"
    product = PRODUCT
    version = "1"
    priority = 50

    def matches(self, mail: MailView) -> bool:
        """A Veeam-mentioning mail with a status bracket in the subject, or a test mail."""
        if not _mentions_veeam(mail):
            return False
        return _subject_status(mail.subject) is not None or bool(_TEST_MAIL.search(mail.subject))

    def parse(self, mail: MailView) -> list[Report]:
        """The one job report of the mail."""
        subject = _subject_status(mail.subject)
        if subject is None and _TEST_MAIL.search(mail.subject):
            raise IgnoreMail("Veeam test e-mail")
        tz = mail.date.tzinfo if mail.date and mail.date.tzinfo else UTC
        found = _tables(mail)
        table_rows = all_rows(found)
        header = _header(table_rows)
        rest = subject[1] if subject else mail.subject
        job_type = _job_type(header, mail, rest)
        details = records(found, _COLUMNS, ("name", "status"))
        summary, notes = label_values(all_rows(found, details), _SUMMARY)
        status = subject[0] if subject else (header.status if header else None)
        objects = _objects(details, job_type, status or Status.SUCCESS)
        if status is None:
            if not objects:
                return []
            status = Status.worst([o.status for o in objects])
        # The subject, the header's status cell and the objects all speak: the worst
        # counts, and any problem wording left in a success is a warning.
        stated = [s for s in (status, header.status if header else None) if s is not None]
        status = Status.worst([*stated, *(o.status for o in objects)])
        status, doubt = doubted(status, "", mail.body)
        job_name, org = _names(header, job_type, rest)
        start, end = _times(summary, _session_date(found, table_rows, mail, tz), tz)
        return [
            Report(
                product=PRODUCT,
                job_type=job_type,
                job_name=job_name,
                host=_host(mail, job_type, org, objects),
                status=status,
                started_at=start,
                ended_at=end,
                message="; ".join(p for p in (_message(notes, status, objects), doubt) if p),
                size_bytes=_size(summary.get("backup_size")),
                transferred_bytes=_size(summary.get("transferred")),
                objects=tuple(objects),
            )
        ]


PARSERS = [VeeamParser()]
