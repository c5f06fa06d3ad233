"""Bareos and Bacula job reports: the bsmtp mails sent from the Director's Messages resource.

A mail holds optional job log lines and then one or more job reports, each a header line
(`<dir> JobId N: [Error: ]Bareos <dir> <version> (<date>):`) followed by `Key: value`
lines that end with `Termination:`. Every report becomes one `Report`; restore, verify,
copy and admin jobs are reports too (their key sets differ). The Termination text gives
the status (Verify Differences is a warning); a report cut off before it is a warning,
or failed when its header carries `Error:`. Only a plain `<Type> OK` is a success, and
only when no daemon status, error count or logged Error/Warning of the job says otherwise.
The job's client and FileSet make the one object; a verify job adds one `file` object per
file that differs.

Times: report stamps carry no zone (`23-Okt-2025 15:46:43`, the Director's locale), so
they are read in the zone of the mail's Date header, or UTC when the mail has none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from parsers.mailview import MailView
from parsers.model import Report, ReportObject, Status
from parsers.textutil import parse_dash_month_datetime, problem_line, zone_of

# Every pattern here stays linear on hostile text (a 1 MB mail of blank lines, spaces or
# brackets): runs are read from their start only (`(?<!…)`), `^` is followed by
# `[ \t]*` and never by `\s*` (which spans every following blank line under re.M),
# bracket contents stop at the next opening bracket, and skips are bounded.
# Starts with a literal so that searching a large body stays fast; the daemon name
# before "JobId" is read separately (_DAEMON, from the _DAEMON_WINDOW characters before).
_HEADER = re.compile(
    r"JobId (?P<jobid>\d+): (?P<flag>(?:Fatal )?Error: |Warning: )?"
    r"(?P<product>(?i:bareos|bacula))\b[^\n]{0,200}?\([^()\n]*\):[^\n]*$",
    re.M,
)
_DAEMON = re.compile(r"(?<![\w.-])(?P<daemon>[\w.-]+) $")
_DAEMON_WINDOW = 256
_KEY_VALUE = re.compile(r"^(?P<key>[A-Za-z][A-Za-z0-9 /()'.-]{0,40}?):(?:\s+(?P<value>.*))?$")
_JOBID_KV = re.compile(r"^[ \t]*(?:Current )?JobId:[ \t]*\d", re.M)
_TERMINATION_KV = re.compile(r"^[ \t]*Termination:[ \t]*\S", re.M)
_ELISION = re.compile(r"^\[?\.\.\.\]?$")
_MD_LINK = re.compile(r"\[([^\[\]\n]*)\]\([^()\n]*\)")
_JOB_SUFFIX = re.compile(r"^(?P<name>.+?)\.(?:\d{4}-\d{2}-\d{2}[_.].*|\[\.\.\.\].*)$")
_TRAILING_DATE = re.compile(r"(?<!\s)\s+\d{4}-\d{2}-\d{2}(?:\s+\d{2}:\d{2}(?::\d{2})?)?\s*$")
_PROBLEM = re.compile(r"JobId (?P<jobid>\d+): (?P<text>(?:Fatal error|Error|Warning): .+)$")
_START = re.compile(r"JobId \d+: Start (?P<kind>[A-Za-z]+) Job")
_FD_LINE = re.compile(r"(?<![\w.-])(?P<daemon>[\w.-]+-fd) JobId (?P<jobid>\d+):")
_FILE_LINE = re.compile(r"^(?:.*\bJobId \d+:|[\w.-]+:)?\s*File:\s+(?P<path>\S.*)$")
_DIFF_LINE = re.compile(r"^(?:.*\bJobId \d+:|[\w.-]+:)?\s+(?P<diff>\w+\s+(?:differ|differs)\b.*)$")

_START_KEYS = frozenset({"JobId", "Current JobId", "Build OS"})
_JOB_TYPES = {
    "backup": "backup",
    "restore": "restore",
    "verify": "verify",
    "copying": "copy",
    "copy": "copy",
    "migration": "migrate",
    "migrate": "migrate",
    "admin": "admin",
    "consolidate": "consolidate",
    "archive": "archive",
}
_MAX_MESSAGE = 300


@dataclass
class _Block:
    """One job report as found in the text: header facts, fields and surrounding lines."""

    start: int
    daemon: str = ""
    jobid: str = ""
    flag: str = ""
    product: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    preface: list[str] = field(default_factory=list)
    closed: bool = False
    conflicts: list[str] = field(default_factory=list)
    trailer: list[str] = field(default_factory=list)


def _clean_line(line: str) -> str:
    """A report line without padding and Bacularis markdown links."""
    return _MD_LINK.sub(r"\1", line).strip()


def _new_block(index: int, match: re.Match[str] | None) -> _Block:
    """A block started by a header line (`match`) or by a bare `JobId:` line."""
    if match is None:
        return _Block(start=index)
    daemon = _DAEMON.search(match.string, max(0, match.start() - _DAEMON_WINDOW), match.start())
    return _Block(
        start=index,
        daemon=daemon["daemon"] if daemon else "",
        jobid=match["jobid"],
        flag=(match["flag"] or "").strip(": ").lower(),
        product=match["product"].lower(),
    )


def _add_field(block: _Block, line: str) -> bool:
    """Record `line` as a `Key: value` field of `block`; False when it is not one."""
    m = _KEY_VALUE.match(line)
    if not m:
        return False
    key = m["key"].strip()
    value = (m["value"] or "").strip()
    if block.fields.setdefault(key, value) != value:
        # A key given twice with two values: the second one is not accounted for.
        block.conflicts.append(f"{key}: {value}")
    if key == "Termination":
        block.closed = True
    return True


def _split_blocks(lines: list[str]) -> list[_Block]:
    """The job reports in `lines`, each with the log lines that came before it."""
    blocks: list[_Block] = []
    current: _Block | None = None
    pending: list[str] = []
    for index, raw in enumerate(lines):
        line = _clean_line(raw)
        header = _HEADER.search(line)
        if header:
            current = _new_block(index, header)
        elif current is not None and not current.closed:
            if _ELISION.match(line) or (not line and not current.fields):
                continue
            if line and _add_field(current, line):
                continue
            current.closed = True
            pending.append(line)
            continue
        else:
            m = _KEY_VALUE.match(line)
            if not (m and m["key"].strip() in _START_KEYS):
                pending.append(line)
                continue
            current = _new_block(index, None)
            _add_field(current, line)
        current.preface, pending = pending, []
        blocks.append(current)
    if blocks:
        blocks[-1].trailer = pending  # what follows the last report is read for doubts
    return blocks


def _first_name(value: str, *, keep_spaces: bool = False) -> str:
    """The resource name at the start of a value: `"hyperv-fd" 25.0.0 …` → hyperv-fd."""
    value = value.strip()
    if value.startswith('"'):
        end = value.find('"', 1)
        return value[1:end] if end > 0 else value[1:]
    if keep_spaces:
        return _TRAILING_DATE.sub("", value).strip()
    return value.split()[0] if value else ""


def _job_name(job: str) -> str:
    """The job name without the run suffix: `hyper-v-alma10.2025-10-23_15.46.41_08`."""
    m = _JOB_SUFFIX.match(job.strip())
    return m["name"] if m else job.strip()


def _status(termination: str, flag: str) -> Status:
    """The status the Termination text (and an `Error:` header) stands for.

    Success is only the Director's own plain `<Type> OK` (or `Copying -- OK`); any other
    wording with 'OK' in it (`-- with warnings`, a damaged word) is a warning.
    """
    text = termination.lower()
    if any(word in text for word in ("error", "fatal", "fail", "cancel")) or flag.endswith("error"):
        return Status.FAILED
    if not text or "warning" in text or "differences" in text:
        return Status.WARNING
    return Status.SUCCESS if _PLAIN_OK.match(termination.strip()) else Status.WARNING


_PLAIN_OK = re.compile(r"^[A-Za-z]+(?: --)? OK$")
_ERROR_COUNT_KEY = re.compile(r"\berrors$", re.I)


def _doubts(block: _Block, jobid: str) -> list[str]:
    """Failure or warning evidence in a report whose Termination says OK.

    A daemon termination status other than OK, a non-zero error count or an Error or
    Warning logged for the job all mean the OK is not the whole story.
    """
    found: list[str] = []
    for key, value in block.fields.items():
        daemon_not_ok = key.lower().endswith("termination status") and value.strip() != "OK"
        errors_counted = bool(_ERROR_COUNT_KEY.search(key)) and value.strip() not in ("", "0")
        if daemon_not_ok or errors_counted:
            found.append(f"{key}: {value}")
    found.extend(block.conflicts)
    # A second Termination or daemon status outside the block (before or after it).
    for line in (*block.preface, *block.trailer):
        m = _KEY_VALUE.match(line.strip())
        key, value = (m["key"].strip().lower(), (m["value"] or "").strip()) if m else ("", "")
        stray_end = key.endswith("termination") and not _PLAIN_OK.match(value)
        if stray_end or (key.endswith("termination status") and value != "OK"):
            found.append(line.strip())
    around = "\n".join([*block.preface, *block.trailer])
    problem = _first_problem(block, jobid) or problem_line(around)
    if problem:
        found.append(problem)
    return found


def _job_type(block: _Block) -> str:
    """backup/restore/verify/copy/admin… from Termination, the keys or the log."""
    words = re.findall(r"[A-Za-z]+", block.fields.get("Termination", ""))
    if words and words[0].lower() in _JOB_TYPES:
        return _JOB_TYPES[words[0].lower()]
    keys = block.fields
    if "Verify Level" in keys:
        return "verify"
    if {"Restore Client", "Files Restored", "Bytes Restored"} & keys.keys():
        return "restore"
    if {"Prev Backup JobId", "Read Pool"} & keys.keys():
        return "copy"
    for line in block.preface:
        m = _START.search(line)
        if m and m["kind"].lower() in _JOB_TYPES:
            return _JOB_TYPES[m["kind"].lower()]
    return "backup"


def _byte_count(value: str | None) -> int | None:
    """The exact byte count of `4,066,217,365 (4.066 GB)` (any thousands separator)."""
    if not value:
        return None
    head = value.split("(")[0]
    digits = re.sub(r"[^\d]", "", head)
    return int(digits) if digits else None


def _first_problem(block: _Block, jobid: str) -> str:
    """The first Error/Warning log line of this job before its report."""
    for line in block.preface:
        m = _PROBLEM.search(line)
        if m and (not jobid or m["jobid"] == jobid):
            return m["text"][:_MAX_MESSAGE]
    return ""


def _differences(preface: list[str]) -> list[ReportObject]:
    """One warning object per file a verify job found different (`File:` + `… differ`)."""
    found: dict[str, list[str]] = {}
    current: str | None = None
    for line in preface:
        file_match = _FILE_LINE.match(line)
        if file_match:
            current = file_match["path"].strip()
            found.setdefault(current, [])
            continue
        diff = _DIFF_LINE.match(line)
        if diff and current is not None:
            found[current].append(" ".join(diff["diff"].split()))
        elif line.strip():
            current = None
    return [
        ReportObject(name, "file", Status.WARNING, "; ".join(diffs) or "differs")
        for name, diffs in found.items()
    ]


def _job_object(block: _Block, status: Status, message: str) -> list[ReportObject]:
    """The job's client/FileSet object (none for jobs without either)."""
    client = _first_name(block.fields.get("Client") or block.fields.get("Restore Client") or "")
    fileset = _first_name(block.fields.get("FileSet") or "", keep_spaces=True)
    if client and fileset:
        return [ReportObject(f"{client}/{fileset}", "fileset", status, message)]
    if fileset:
        return [ReportObject(fileset, "fileset", status, message)]
    if client:
        return [ReportObject(client, "client", status, message)]
    return []


def _host(block: _Block, jobid: str) -> str:
    """The client of the job, else a file daemon seen in its log, else the Director."""
    client = _first_name(block.fields.get("Client") or block.fields.get("Restore Client") or "")
    if client:
        return client
    for line in block.preface:
        m = _FD_LINE.search(line)
        if m and m["jobid"] == jobid:
            return m["daemon"]
    return block.daemon


def _time(block: _Block, key: str, tz: tzinfo) -> datetime | None:
    """A `Start time`/`End time` field as an aware datetime."""
    value = block.fields.get(key)
    return parse_dash_month_datetime(value, tz) if value else None


def _message(block: _Block, headline: str, status: Status, jobid: str) -> str:
    """Termination text, plus the first logged problem when the job did not succeed."""
    parts = [headline]
    if status is not Status.SUCCESS:
        problem = _first_problem(block, jobid)
        if problem:
            parts.append(problem)
    return "; ".join(parts)


def _report(block: _Block, product: str, tz: tzinfo) -> Report:
    """The `Report` of one job report block."""
    fields = block.fields
    jobid = fields.get("JobId") or fields.get("Current JobId") or block.jobid
    termination = fields.get("Termination", "")
    status = _status(termination, block.flag)
    doubts = _doubts(block, jobid) if status is Status.SUCCESS else []
    if doubts:
        status = Status.WARNING
    # Partial corpus reports: cut off before Termination the outcome is unknown, so a
    # warning (issue-bareos-2233…, bacularis-web-8…), unless the header already says
    # Error (issue-bareos-1774…). Whatever fields survived are still reported.
    headline = termination or "no Termination line (report cut off)"
    if doubts:
        headline = f"{headline}, but {doubts[0]}"[:_MAX_MESSAGE]
    objects = _job_object(block, status, headline)
    if _job_type(block) == "verify":
        objects.extend(_differences(block.preface))
    return Report(
        product=block.product or product,
        job_type=_job_type(block),
        job_name=_job_name(fields.get("Job") or fields.get("Current Job") or ""),
        host=_host(block, jobid),
        status=status,
        started_at=_time(block, "Start time", tz),
        ended_at=_time(block, "End time", tz),
        message=_message(block, headline, status, jobid),
        size_bytes=_byte_count(fields.get("SD Bytes Written") or fields.get("Bytes Restored")),
        transferred_bytes=_byte_count(fields.get("FD Bytes Written")),
        objects=tuple(objects),
    )


def _family(mail: MailView, body: str) -> str | None:
    """'bareos' or 'bacula' when the body holds a job report, else None."""
    header = _HEADER.search(body) if "JobId " in body else None
    if header:
        return header["product"].lower()
    if "Termination:" not in body or not (_JOBID_KV.search(body) and _TERMINATION_KV.search(body)):
        return None
    context = f"{mail.subject} {mail.from_name} {body[:20000]}".lower()
    return "bacula" if "bacula" in context and "bareos" not in context else "bareos"


class BareosParser:
    """Job reports of the Bareos Director (and, as subclass, of Bacula)."""

    name = "bareos"
    product = "bareos"
    version = "1"
    priority = 40

    def matches(self, mail: MailView) -> bool:
        """Whether the body holds a job report of this product."""
        return _family(mail, mail.body) == self.product

    def parse(self, mail: MailView) -> list[Report]:
        """One report per job report block in the mail."""
        tz = zone_of(mail.date)
        blocks = _split_blocks(mail.body.splitlines())
        return [_report(block, self.product, tz) for block in blocks]


class BaculaParser(BareosParser):
    """Job reports of the Bacula Director (same layout as Bareos)."""

    name = "bacula"
    product = "bacula"


PARSERS = [BareosParser(), BaculaParser()]
