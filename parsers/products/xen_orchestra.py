"""Xen Orchestra backup report parser (xo-server-backup-reports), one object per VM.

Reads the Backup NG / metadata markdown reports (the mail's text part; the HTML part
holds the same data), the xo-server 5.x markdown reports, the older plain 'VM : …'
blocks and the oldest 'vm.rollingBackup:' blocks. Skipped VMs are warnings; an
interrupted run is a failure unless every VM succeeded (then a warning). Success needs
the report's own 'Global status: success' (or the subject's status) and every VM counted
as succeeded; a missing or unreadable status, or a report without VMs, is a warning. Backup NG
prints times without a zone ('Monday, July 9th 2018, 12:14:43 am'): the Date header's
zone is used, or UTC when the mail has none; 5.x and older times carry their offset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo

from parsers.mailview import MailView
from parsers.model import IgnoreMail, Report, ReportObject, Status
from parsers.textutil import (
    doubted,
    find_field,
    month_number,
    parse_loose_datetime,
    parse_size,
    strip_reply_prefixes,
    unquote_body,
    zone_of,
)

PRODUCT = "xen-orchestra"

_SUBJECT = re.compile(
    r"\[Xen Orchestra[^\]]*\]\s*(?:\[(?P<s1>\w+)\]|(?P<s2>\w+)\s*[−–-])?\s*"
    r"(?P<meta>Metadata )?Backup report for (?P<job>.*[^✔🚨⚠⏩\ufe0f\s])[✔🚨⚠⏩\ufe0f\s]*$",
    re.I,
)
# Linear on hostile text: after `^` only `[ \t]*` / `[^\w\n]*` (`\s*` or `\W*` there span
# every following blank line under re.M) and names end at their last non-space.
_BODY_MARK = re.compile(
    r"Global status:|^[ \t]*vm\.\w+:[ \t]*$"
    r"|^[^\w\n]*VM[ \t]*:[ \t]*\S.*\n(?:.*\n){0,3}[^\w\n]*UUID[ \t]*:",
    re.I | re.M,
)
_SECTION = re.compile(
    r"^#{1,2}\s+(?P<count>\d+)\s+(?P<kind>Failures?|Skipped|Interrupted|Success(?:es)?)\s*$", re.I
)
_VM_HEADING = re.compile(r"^###\s+(?P<name>\S(?:.*\S)?)\s*$")
_ANCIENT_BLOCK = re.compile(r"^\s*vm\.(?P<method>\w+):\s*$")
_PLAIN_VM = re.compile(r"^[\W_]*VM\s*:\s*(?P<name>\S(?:.*\S)?)\s*$")
_KEY_VALUE = re.compile(r"^\s*[\w.]+\s*:\s")
_GMT_DATE = re.compile(
    r"\w{3} (?P<mon>\w{3}) (?P<d>\d{1,2}) (?P<y>\d{4}) (?P<h>\d\d):(?P<mi>\d\d):(?P<s>\d\d) "
    r"GMT(?P<off>[+-]\d{4})"
)
_STATUS_WORDS = {
    "success": Status.SUCCESS,
    "failure": Status.FAILED,
    "fail": Status.FAILED,
    "skipped": Status.WARNING,
    "interrupted": Status.FAILED,
    "pending": Status.WARNING,
}
_META_KINDS = {"[xo]": "xo-config", "[pool]": "pool-metadata", "[remote]": "remote"}


@dataclass(slots=True)
class Block:
    """One VM (or metadata task) block of a report."""

    name: str
    status: Status
    lines: list[str] = field(default_factory=list)
    kind: str = "vm"


class XenOrchestraParser:
    """Xen Orchestra backup and metadata backup reports."""

    name = "xen-orchestra"
    product = PRODUCT
    version = "1"
    priority = 50

    def matches(self, mail: MailView) -> bool:
        """An '[Xen Orchestra]' subject, or a saved report body."""
        if "[xen orchestra" in mail.subject.lower():
            return True
        return not mail.has_headers and bool(_BODY_MARK.search(mail.text[:4000]))

    def parse(self, mail: MailView) -> list[Report]:
        """One report with one object per VM."""
        subject = _SUBJECT.search(strip_reply_prefixes(mail.subject))
        text = unquote_body(mail.text if mail.text.strip() else mail.html_text)
        if subject is None and not _BODY_MARK.search(text):
            raise IgnoreMail("Xen Orchestra mail that is not a backup report")
        tz = zone_of(mail.date)
        lines = [_clean(line) for line in text.splitlines()]
        if any(_ANCIENT_BLOCK.match(line) for line in lines):
            return [_ancient_report(lines)]
        if not any(_VM_HEADING.match(line) for line in lines) and any(
            _PLAIN_VM.match(line) for line in lines
        ):
            return [_plain_report(subject, lines, tz)]
        return [_markdown_report(subject, lines, tz)]


def _clean(line: str) -> str:
    """A line without bullets, markdown bold and stray whitespace (headings kept)."""
    line = line.replace("**", "").replace("\t", " ").strip()
    if line.startswith("#"):
        return re.sub(r"^#+\s*(?=Global status)", "", line)
    return re.sub(r"^[•*\-]\s*", "", line).strip()


# --- Backup NG / 5.x markdown -------------------------------------------------------------


def _markdown_report(subject: re.Match[str] | None, lines: list[str], tz: tzinfo) -> Report:
    """A report from the markdown layout ('## Global status', '## n Failures', '### VM')."""
    header, blocks, sections = _markdown_blocks(lines)
    head = "\n".join(header)
    successes = (find_field(head, "Successes") or "").strip()
    global_status = _global_status("\n".join(lines), subject, successes)
    # Success is proven only by the report's own 'Global status: success' (or the
    # subject's) with every VM accounted for; an unreadable status is a warning.
    doubt = _doubt(global_status, successes)
    statuses = [*(b.status for b in blocks), *sections]
    statuses.append(global_status or Status.WARNING)
    if doubt:
        statuses.append(Status.WARNING)
    meta = bool(subject and subject.group("meta")) or any(b.kind != "vm" for b in blocks)
    status, message = doubted(
        Status.worst(statuses),
        "; ".join(p for p in (_summary(head, successes), doubt) if p),
        "\n".join(lines),
    )
    return Report(
        product=PRODUCT,
        job_type="metadata-backup" if meta else _job_type(head),
        job_name=_job_name(subject, head),
        host="",
        status=status,
        started_at=_xo_datetime(find_field(head, "Start time"), tz),
        ended_at=_xo_datetime(find_field(head, "End time"), tz),
        message=message,
        size_bytes=parse_size(find_field(head, "Size") or ""),
        transferred_bytes=parse_size(find_field(head, "Transfer size") or ""),
        objects=tuple(_object(b) for b in blocks),
    )


def _markdown_blocks(lines: list[str]) -> tuple[list[str], list[Block], list[Status]]:
    """The header lines (before the first status section), the VM blocks and the
    statuses of the non-empty sections ('## 2 Failures' counts even without its VMs)."""
    header: list[str] = []
    blocks: list[Block] = []
    sections: list[Status] = []
    section: Status | None = None
    for line in lines:
        m = _SECTION.match(line)
        if m is not None:
            section = _section_status(m.group("kind"))
            if m.group("count") != "0":
                sections.append(section)
            continue
        heading = _VM_HEADING.match(line)
        if heading is not None and section is not None:
            blocks.append(_new_block(heading.group("name"), section))
        elif blocks and section is not None:
            blocks[-1].lines.append(line)
        elif section is None:
            header.append(line)
    return header, blocks, sections


def _doubt(global_status: Status | None, successes: str) -> str:
    """Why a success is not proven ('' when it is, or when the run is not a success)."""
    if global_status is None:
        return "no readable global status (success not proven)"
    m = re.match(r"(\d+)\s*/\s*(\d+)", successes)
    if global_status is Status.SUCCESS and m is not None and m.group(1) != m.group(2):
        return f"only {successes} VMs succeeded"
    return ""


def _section_status(kind: str) -> Status:
    """The status of the VMs listed under '## n <kind>'."""
    word = kind.lower()
    if word.startswith("fail") or word == "interrupted":
        return Status.FAILED
    return Status.WARNING if word == "skipped" else Status.SUCCESS


def _new_block(title: str, status: Status) -> Block:
    """A block for '### <title>' ('[XO] job', '[pool] name', '[remote] name' for metadata)."""
    prefix, _, rest = title.partition(" ")
    kind = _META_KINDS.get(prefix.lower())
    return Block(rest.strip(), status, kind=kind) if kind and rest else Block(title, status)


def _global_status(text: str, subject: re.Match[str] | None, successes: str) -> Status | None:
    """The run status from 'Global status:' (or the subject); interrupted-but-all-ok warns."""
    raws = [m.group(1).strip().lower() for m in _GLOBAL_STATUS.finditer(text)]
    if not raws and subject is not None:
        raws = [(subject.group("s1") or subject.group("s2") or "").lower()]
    # Every 'Global status' line counts (a second one is not outvoted by the first);
    # a word that is not a status is a warning.
    found = [_one_global_status(raw, successes) for raw in raws if raw]
    return Status.worst(found) if found else None


_GLOBAL_STATUS = re.compile(r"^[ \t>*•\-]*Global status[ \t]*:[ \t]*(.*?)[ \t]*$", re.I | re.M)


def _one_global_status(raw: str, successes: str) -> Status:
    """The status one 'Global status' word stands for; interrupted-but-all-ok warns."""
    if raw == "interrupted" and _all_succeeded(successes):
        return Status.WARNING
    return _STATUS_WORDS.get(raw, Status.WARNING)


def _all_succeeded(successes: str) -> bool:
    """Whether 'n / m' says every VM succeeded."""
    m = re.match(r"(\d+)\s*/\s*(\d+)", successes)
    return m is not None and m.group(1) == m.group(2) and m.group(2) != "0"


def _job_type(head: str) -> str:
    """'backup' for Backup NG, or the 5.x '**Type**' ('Rolling Backup' → 'rolling-backup')."""
    kind = (find_field(head, "Type") or "").strip()
    return kind.lower().replace(" ", "-") if kind else "backup"


def _job_name(subject: re.Match[str] | None, head: str) -> str:
    """The job name from the subject, else the body's job name or ID."""
    if subject is not None:
        return subject.group("job").strip()
    found = find_field(head, "Job name") or find_field(head, "Job ID") or ""
    return found.strip() or "Xen Orchestra backup"


def _summary(head: str, successes: str) -> str:
    """Global status when not success, the job error, and the success count."""
    raw = (find_field(head, "Global status") or "").strip()
    parts = [f"global status {raw}" if raw and raw.lower() != "success" else ""]
    parts.append((find_field(head, "Error") or "").strip())
    parts.append(f"successes {successes}" if successes else "")
    return "; ".join(p for p in parts if p)


def _object(block: Block) -> ReportObject:
    """The object of a VM block (a '⚠️' line turns a success into a warning)."""
    text = "\n".join(block.lines)
    message = (find_field(text, "Error") or find_field(text, "Reason") or "").strip()
    status = block.status
    warning = next((line for line in block.lines if "⚠" in line), "")
    if status is Status.SUCCESS and warning:
        status, message = Status.WARNING, warning.replace("⚠️", "").strip()
    name = block.name
    if name == "VM not found":
        name = (find_field(text, "UUID") or name).strip()
    return ReportObject(name, block.kind, status, message)


# --- older layouts -----------------------------------------------------------------------


def _plain_report(subject: re.Match[str] | None, lines: list[str], tz: tzinfo) -> Report:
    """A report from 'VM : name' / 'Status: Success|Fail' blocks (xo-server ≤ 5.6)."""
    objects: list[ReportObject] = []
    starts: list[datetime] = []
    ends: list[datetime] = []
    for block in _split(lines, _PLAIN_VM):
        text = "\n".join(block[1:])
        raw = (find_field(text, "Status") or "").strip().lower()
        status = _STATUS_WORDS.get(raw, Status.FAILED)
        message = (find_field(text, "Error") or "").strip()
        name = _PLAIN_VM.match(block[0])
        objects.append(ReportObject(name.group("name") if name else "?", "vm", status, message))
        starts.extend(d for d in [_xo_datetime(find_field(text, "Start time"), tz)] if d)
        ends.extend(d for d in [_xo_datetime(find_field(text, "End time"), tz)] if d)
    # These reports carry no global status of their own; one found in the text (a newer
    # report's header above or below) is evidence too.
    global_raw = (find_field("\n".join(lines), "Global status") or "").strip().lower()
    statuses = [o.status for o in objects]
    statuses.extend(
        _section_status(m.group("kind"))
        for m in map(_SECTION.match, lines)
        if m is not None and m.group("count") != "0"
    )
    if global_raw:
        statuses.append(_STATUS_WORDS.get(global_raw, Status.WARNING))
    # No VM read at all proves nothing: a warning, not an empty success.
    status, message = doubted(Status.worst(statuses or [Status.WARNING]), "", "\n".join(lines))
    return Report(
        product=PRODUCT,
        job_type="backup",
        job_name=subject.group("job").strip() if subject else "Xen Orchestra backup",
        host="",
        status=status,
        message=message,
        started_at=min(starts, default=None),
        ended_at=max(ends, default=None),
        objects=tuple(objects),
    )


def _ancient_report(lines: list[str]) -> Report:
    """A report from 'vm.rollingBackup:' blocks: the first bare line is the result."""
    objects: list[ReportObject] = []
    method = tag = ""
    for block in _split(lines, _ANCIENT_BLOCK):
        text = "\n".join(block[1:])
        vm = find_field(text, "VM")
        result = next((line for line in block[1:] if line and not _KEY_VALUE.match(line)), "")
        if not vm or not result:
            continue  # a block cut off in the saved copy
        head = _ANCIENT_BLOCK.match(block[0])
        method = head.group("method") if head else method
        tag = tag or (find_field(text, "tag") or "").strip()
        ok = result.strip().lower() == "true"
        message = "" if ok else result.strip()
        objects.append(
            ReportObject(vm.strip(), "vm", Status.SUCCESS if ok else Status.FAILED, message)
        )
    return Report(
        product=PRODUCT,
        job_type=re.sub(r"(?<!^)(?=[A-Z])", "-", method).lower() or "backup",
        job_name=tag or "Xen Orchestra backup",
        host="",
        # No VM read at all proves nothing: a warning, not an empty success.
        status=Status.worst([o.status for o in objects] or [Status.WARNING]),
        objects=tuple(objects),
    )


def _split(lines: list[str], start: re.Pattern[str]) -> list[list[str]]:
    """`lines` cut into blocks, each beginning with a line matching `start`."""
    blocks: list[list[str]] = []
    for line in lines:
        if start.match(line):
            blocks.append([line])
        elif blocks:
            blocks[-1].append(line)
    return blocks


def _xo_datetime(raw: str | None, tz: tzinfo) -> datetime | None:
    """An ISO time (5.x), a JavaScript Date string, or 'Monday, July 9th 2018, 12:14:43 am'."""
    if not raw or "invalid" in raw.lower():
        return None
    text = raw.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = None
    if parsed is not None:
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)
    m = _GMT_DATE.search(text)
    if m is not None:
        return _gmt_datetime(m)
    return parse_loose_datetime(text, tz)


def _gmt_datetime(m: re.Match[str]) -> datetime | None:
    """A 'Sun Sep 04 2016 12:00:04 GMT+0200' match as an aware datetime."""
    month = month_number(m.group("mon"))
    if month is None:
        return None
    off = m.group("off")
    minutes = int(off[1:3]) * 60 + int(off[3:5])
    zone = timezone(timedelta(minutes=minutes if off[0] == "+" else -minutes))
    numbers = (int(m.group(k)) for k in ("y", "d", "h", "mi", "s"))
    year, day, hour, minute, second = numbers
    return datetime(year, month, day, hour, minute, second, tzinfo=zone)


PARSERS = [XenOrchestraParser()]
