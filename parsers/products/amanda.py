"""Amanda amreport mails (`<org> [FAIL:|MISSING:|STRANGE:] AMANDA MAIL REPORT FOR <date>`).

One mail is one run of a configuration; every DLE (`host:disk`) in the DUMP SUMMARY
table becomes an object whose status comes from its row (FAILED, MISSING, PARTIAL,
taper FAILED, not taped) and from the FAILURE/STRANGE DUMP SUMMARY lines (a dump that
`was successfully retried` is a warning). Program-level failures (`planner: FATAL …`),
`*** A TAPE ERROR OCCURRED` and an unfinished run fail the whole report. A run is only a
success with DLEs in its DUMP SUMMARY, no unknown (damaged) section title and none of
amreport's problem words left unaccounted; otherwise it is at least a warning.

Times: amreport prints only the run's date (`Date : March 3, 2010`), no clock time, so
`started_at`/`ended_at` stay None rather than invent a time of day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from parsers.mailview import MailView
from parsers.model import Report, ReportObject, Status
from parsers.textutil import problem_line

_FOOTER = re.compile(r"\(brought to you by Amanda version [^)\n]*\)")
_SUBJECT = re.compile(
    r"(?:\b(?P<tag>FAIL|MISSING|STRANGE):\s*)?\b(?P<kind>AMANDA|AMFLUSH|AMVAULT) MAIL REPORT FOR",
    re.I,
)
_HEAD = re.compile(r"^(?P<key>Hostname|Org|Config)\s*:\s*(?P<value>.*?)\s*$", re.M)
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|\S+')
_UNIT = re.compile(r"\bOUT-(?P<unit>[KMGT])B\b")
_TIME = re.compile(r"^\d+:\d{2}$")
_PROGRAM_PROBLEM = re.compile(r"^\s*(?P<prog>[\w-]+): (?P<kind>FATAL|ERROR) (?P<msg>.*)$")
_DLE_PROBLEM = re.compile(
    r'^\s*(?P<host>\S+)\s+(?P<disk>"(?:[^"\\]|\\.)*"|\S+)\s+(?:lev\s+\d+\s+)?'
    r"(?P<what>FAILED|RESULTS MISSING|partial taper:|was successfully re(?:tried|-flushed)|"
    r"FLUSH|NOT FLUSHED|STRANGE)(?P<msg>.*)$"
)
_RUN_PROBLEMS = (
    re.compile(r"^\*\*\* A TAPE ERROR OCCURRED: (?P<msg>.*)$", re.M),
    re.compile(r"^\*\*\* THE DUMPS DID NOT FINISH PROPERLY!$", re.M),
)
# Section titles amreport writes; any other 'TITLE:' line is a damaged or unknown one.
_SECTION_TITLE = re.compile(r"^[\f \t]*(?P<title>[A-Z][A-Z/ ]*[A-Z]):[ \t]*$", re.M)
_KNOWN_SECTIONS = frozenset(
    {
        "DUMP SUMMARY",
        "FAILURE DUMP SUMMARY",
        "STRANGE DUMP SUMMARY",
        "FAILED DUMP DETAILS",
        "STRANGE DUMP DETAILS",
        "STATISTICS",
        "USAGE BY TAPE",
        "NOTES",
    }
)
# amreport's own words for a problem; in a report read as success they are unaccounted.
_PROBLEM_WORD = re.compile(
    r"\b(?:FAILED|FAILURE|FAIL|FATAL|ERROR|WARNING|MISSING|STRANGE|PARTIAL)\b"
)
_UNIT_BYTES = {"K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
_HEAD_WORDS = {
    "MISSING": (Status.FAILED, "results missing"),
    "SKIPPED": (Status.SUCCESS, "skipped"),
    "NO": (Status.SUCCESS, "no file to flush"),
}
_JOB_TYPES = {"amanda": "backup", "amflush": "flush", "amvault": "vault"}


@dataclass
class _Dle:
    """What the report says about one DLE: row status and problem lines."""

    status: Status = Status.SUCCESS
    note: str = ""
    out_kb: float | None = None
    messages: list[str] = field(default_factory=list)


def _unquote(disk: str) -> str:
    """A DLE name as amreport quotes it (`"C:/"`) without the quotes."""
    if len(disk) >= 2 and disk.startswith('"') and disk.endswith('"'):
        return re.sub(r"\\(.)", r"\1", disk[1:-1])
    return disk


def _section(lines: list[str], title: str) -> list[str]:
    """The lines under a `TITLE:` line up to the next blank line."""
    for index, line in enumerate(lines):
        if line.strip("\f \t") == title:
            out: list[str] = []
            for body_line in lines[index + 1 :]:
                if not body_line.strip("\f \t"):
                    break
                out.append(body_line)
            return out
    return []


def _number(token: str) -> float | None:
    """A table number, None for blanks and '#####' overflow."""
    try:
        return float(token)
    except ValueError:
        return None


def _flagged_row(rest: list[str], times: int) -> tuple[Status, str] | None:
    """Status of a row that carries a FAILED/PARTIAL/FLUSH word, else None."""
    if "FAILED" in rest:
        return Status.FAILED, "taper failed" if times else "dump failed"
    if "FLUSHED" in rest:
        return Status.WARNING, "not flushed"
    if "PARTIAL" in rest:
        if rest[-1] == "PARTIAL" and times:
            return Status.WARNING, "partial dump taped"
        return Status.FAILED, "partial dump"
    if "FLUSH" in rest:
        return Status.SUCCESS, "flushed"
    return None


def _row_status(rest: list[str]) -> tuple[Status, str]:
    """Status and note of a DUMP SUMMARY row from its cells after host and disk."""
    head = rest[0] if rest else ""
    if head in _HEAD_WORDS:
        return _HEAD_WORDS[head]
    times = sum(1 for token in rest if _TIME.match(token))
    flagged = _flagged_row(rest, times)
    if flagged is not None:
        return flagged
    if head.isdigit():
        return (Status.SUCCESS, "") if times >= 2 else (Status.WARNING, "dumped, not taped")
    return Status.WARNING, " ".join(rest)


def _summary_rows(lines: list[str]) -> tuple[dict[tuple[str, str], _Dle], int]:
    """The DLEs of the DUMP SUMMARY table and the byte unit of its size columns."""
    rows: dict[tuple[str, str], _Dle] = {}
    unit = 1024
    in_rows = False
    for line in _section(lines, "DUMP SUMMARY:"):
        m = _UNIT.search(line)
        if m:
            unit = _UNIT_BYTES[m["unit"]]
        if not in_rows:
            in_rows = bool(line.strip()) and not line.strip(" -")
            continue
        tokens = _TOKEN.findall(line)
        if len(tokens) < 3:
            continue
        status, note = _row_status(tokens[2:])
        dumped = tokens[2].isdigit() and len(tokens) > 4 and status is not Status.FAILED
        out_kb = _number(tokens[4]) if dumped else None
        rows[(tokens[0], _unquote(tokens[1]))] = _Dle(status, note, out_kb)
    return rows, unit


def _problem_status(what: str) -> Status:
    """The status one FAILURE/STRANGE summary line stands for."""
    if what in ("FAILED", "RESULTS MISSING"):
        return Status.FAILED
    return Status.WARNING


def _apply_problems(lines: list[str], dles: dict[tuple[str, str], _Dle]) -> list[str]:
    """Fold the FAILURE/STRANGE summary lines into `dles`; return run-level problems."""
    run_problems: list[str] = []
    summary = _section(lines, "FAILURE DUMP SUMMARY:") + _section(lines, "STRANGE DUMP SUMMARY:")
    retried: set[tuple[str, str]] = set()
    for line in summary:
        program = _PROGRAM_PROBLEM.match(line)
        if program:
            run_problems.append(line.strip())
            continue
        m = _DLE_PROBLEM.match(line)
        if not m:
            continue
        key = (m["host"], _unquote(m["disk"]))
        dle = dles.setdefault(key, _Dle())
        dle.messages.append(f"{m['what']}{m['msg']}".strip())
        if m["what"].startswith("was successfully"):
            retried.add(key)
        dle.status = Status.worst([dle.status, _problem_status(m["what"])])
    for key in retried:
        dles[key].status = Status.WARNING if dles[key].status is Status.FAILED else dles[key].status
    return run_problems


def _header(body: str) -> dict[str, str]:
    """The Hostname/Org/Config header values."""
    return {m["key"]: m["value"] for m in _HEAD.finditer(body[:5000])}


def _run_status(
    mail: MailView, body: str, problems: list[str], dles: dict[tuple[str, str], _Dle]
) -> Status:
    """The run's status: worst of its DLEs, run-level problems and the subject tag."""
    statuses = [dle.status for dle in dles.values()]
    if problems:
        statuses.append(Status.FAILED)
    tag = _SUBJECT.search(mail.subject)
    if tag and tag["tag"]:
        statuses.append(Status.WARNING if tag["tag"].upper() == "STRANGE" else Status.FAILED)
    if not dles or _unaccounted(body):
        statuses.append(Status.WARNING)
    return Status.worst(statuses)


def _unaccounted(body: str) -> list[str]:
    """Evidence a success reading does not account for: an unknown section title (a
    damaged 'FAILURE DUMP SUMMARY:') or one of amreport's problem words anywhere."""
    found = [
        f"unknown section {m['title']!r}"
        for m in _SECTION_TITLE.finditer(body)
        if m["title"] not in _KNOWN_SECTIONS
    ]
    word = _PROBLEM_WORD.search(body)
    if word is not None:
        start = body.rfind("\n", 0, word.start()) + 1
        end = body.find("\n", word.end())
        found.append(body[start : end if end >= 0 else len(body)].strip()[:200])
    elif problem := problem_line(body):  # 'estimate of level 1 failed' in the NOTES
        found.append(problem)
    return found


def _message(body: str, problems: list[str], dles: dict[tuple[str, str], _Dle]) -> str:
    """Run-level problems, else a count of DLEs that did not succeed."""
    if problems:
        return "; ".join(problems)
    if not dles and "DUMP SUMMARY:" not in body:
        return "no DUMP SUMMARY (report cut off)"
    if not dles:
        return "no DLE in the DUMP SUMMARY (success not proven)"
    bad = sum(1 for dle in dles.values() if dle.status is not Status.SUCCESS)
    if bad:
        return f"{bad} of {len(dles)} DLEs with problems"
    doubts = _unaccounted(body)
    if doubts:
        return f"{len(dles)} DLEs dumped, but success not proven: {doubts[0]}"
    return f"{len(dles)} DLEs dumped"


def _objects(dles: dict[tuple[str, str], _Dle]) -> tuple[ReportObject, ...]:
    """One `dle` object per DLE, named host:disk."""
    return tuple(
        ReportObject(f"{host}:{disk}", "dle", dle.status, "; ".join(dle.messages) or dle.note)
        for (host, disk), dle in dles.items()
    )


class AmandaParser:
    """amreport mails of Amanda (amdump, amflush and amvault runs)."""

    name = "amanda"
    product = "amanda"
    version = "1"
    priority = 40

    def matches(self, mail: MailView) -> bool:
        """The amreport footer, or the subject together with the report header."""
        body = mail.body
        if _FOOTER.search(body):
            return True
        if _SUBJECT.search(mail.subject):
            return True
        has_table = "DUMP SUMMARY:" in body or "STATISTICS:" in body
        return has_table and {"Hostname", "Config"} <= _header(body).keys()

    def parse(self, mail: MailView) -> list[Report]:
        """One report for the run, one object per DLE."""
        body = mail.body
        lines = body.splitlines()
        dles, unit = _summary_rows(lines)
        problems = _apply_problems(lines, dles)
        problems.extend(m.group(0).strip() for p in _RUN_PROBLEMS for m in p.finditer(body))
        header = _header(body)
        kind = _SUBJECT.search(mail.subject)
        sizes = [dle.out_kb for dle in dles.values() if dle.out_kb is not None]
        report = Report(
            product="amanda",
            job_type=_JOB_TYPES.get(kind["kind"].lower(), "backup") if kind else "backup",
            job_name=header.get("Config", ""),
            host=header.get("Hostname", ""),
            status=_run_status(mail, body, problems, dles),
            message=_message(body, problems, dles),
            size_bytes=int(sum(sizes) * unit) if sizes else None,
            objects=_objects(dles),
        )
        return [report]


PARSERS = [AmandaParser()]
