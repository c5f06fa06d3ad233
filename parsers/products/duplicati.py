"""Duplicati result mails: the default `Key: Value` text result or the JSON result.

The status is the top-level `ParsedResult` (Success, Warning, Error, Fatal); nested
results (BackendStatistics, CompactResults, TestResults) repeat the key and are skipped.
`MainOperation` gives the job type. The backup name comes from the subject or the body
heading (`Duplicati Backup report for <name>`) or, in JSON, `Extra.backup-name`. Mails
of List operations (issue #1378: `ListFilesets: […]`, no ParsedResult) are not reports
and are ignored. A result cut off before `ParsedResult` is a warning. Truncated JSON is
read leniently, key by key, as far as it goes.

Times: `EndTime: 23.02.2020 23:04:56 (1582495496)` carries the epoch in brackets, which is
used as the exact instant (shown in the zone of the mail's Date header, or UTC); ISO
stamps in the JSON result carry their own offset; a stamp with neither is read in that
same zone.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, tzinfo
from typing import Any

from parsers.mailview import MailView
from parsers.model import IgnoreMail, Report, Status
from parsers.textutil import doubted, zone_of

# The value ends at its last non-space: `.*?\s*$` retried the trailing blanks (and, under
# re.M, every blank line after them) at every character, quadratic on a hostile body.
_TEXT_KEY = re.compile(r"^(?P<key>[A-Z][A-Za-z]+):[ \t]*(?P<value>(?:.*\S)?)[^\S\n]*$", re.M)
_TEXT_MARKER = re.compile(r"^(?:MainOperation|ParsedResult):[ \t]*\w", re.M)
_JSON_START = re.compile(r'\{\s*"[A-Za-z]+"\s*:')
_JSON_MARKER = re.compile(r'"(?:MainOperation|ParsedResult)"\s*:')
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]|[^\s{}\[\],:"]+')
_HEADING = re.compile(
    r"Duplicati\s+(?P<op>\w+)(?:\s+\([^)]*\))?\s+report\s+for\s+(?P<name>.+?)\s*$", re.I | re.M
)
_EPOCH = re.compile(r"\((?P<epoch>\d{9,11})\)")
_DMY = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})\s+(\d{1,2}):(\d{2}):(\d{2})")
_BACKUP_NAME = re.compile(r'"backup-name"\s*:\s*"(?P<name>(?:[^"\\]|\\.)*)"')
_MACHINE_NAME = re.compile(r'"machine-name"\s*:\s*"(?P<name>(?:[^"\\]|\\.)*)"')
_UPLOADED = re.compile(r'^\s*"?BytesUploaded"?\s*:\s*(?P<n>\d+)', re.M)
_STATUSES = {
    "success": Status.SUCCESS,
    "warning": Status.WARNING,
    "error": Status.FAILED,
    "fatal": Status.FAILED,
}
_MAX_MESSAGE = 300


def _scalar(piece: str) -> str:
    """A JSON scalar piece as text (strings unescaped, null as '')."""
    if piece.startswith('"'):
        try:
            return str(json.loads(piece))
        except ValueError:
            return piece.strip('"')
    return "" if piece == "null" else piece


def _lenient_top_level(text: str, start: int) -> dict[str, str]:
    """Top-level scalar members of a JSON object that may be cut off anywhere."""
    out: dict[str, str] = {}
    depth = 0
    key: str | None = None
    expect_value = False
    for m in _JSON_TOKEN.finditer(text, start):
        piece = m.group()
        if piece in ("{", "["):
            depth += 1
            key, expect_value = None, False
        elif piece in ("}", "]"):
            depth -= 1
            if depth <= 0:
                break
        elif depth != 1:
            continue
        elif piece == ",":
            key, expect_value = None, False
        elif piece == ":":
            expect_value = key is not None
        elif expect_value and key is not None:
            out.setdefault(key, _scalar(piece))
            key, expect_value = None, False
        elif piece.startswith('"'):
            key = _scalar(piece)
    return out


def _json_fields(body: str) -> tuple[dict[str, str], dict[str, Any]]:
    """Top-level scalars of the JSON result (and the parsed object when it is whole)."""
    m = _JSON_START.search(body)
    if not m:
        return {}, {}
    try:
        whole, _ = json.JSONDecoder().raw_decode(body, m.start())
    except ValueError:
        return _lenient_top_level(body, m.start()), {}
    if not isinstance(whole, dict):
        return {}, {}
    scalars = {
        k: "" if v is None else str(v) for k, v in whole.items() if not isinstance(v, (dict, list))
    }
    return scalars, whole


def _text_fields(body: str) -> dict[str, str]:
    """Top-level `Key: Value` lines of the text result (first occurrence wins)."""
    out: dict[str, str] = {}
    for m in _TEXT_KEY.finditer(body):
        out.setdefault(m["key"], m["value"])
    return out


def _time(value: str, tz: tzinfo) -> datetime | None:
    """EndTime/BeginTime: the bracketed epoch, an ISO stamp or `dd.mm.yyyy HH:MM:SS`."""
    if not value:
        return None
    epoch = _EPOCH.search(value)
    if epoch:
        return datetime.fromtimestamp(int(epoch["epoch"]), UTC).astimezone(tz)
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        parsed = None
    if parsed is not None:
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)
    m = _DMY.search(value)
    if not m:
        return None
    day, month, year, hour, minute, second = (int(g) for g in m.groups())
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=tz)
    except ValueError:
        return None


def _first_item(body: str, whole: dict[str, Any], key: str) -> str:
    """The first entry of the `Errors`/`Warnings` list, text or JSON."""
    items = whole.get(key)
    if isinstance(items, list) and items:
        return str(items[0])[:_MAX_MESSAGE]
    m = re.search(rf'^\s*"?{key}"?\s*:\s*\[\s*(?P<item>[^\]\s][^\n]*)', body, re.M)
    if not m:
        return ""
    item = m["item"].strip()
    item = item.removesuffix("]") if item.count("[") < item.count("]") else item
    return item.strip().strip('",')[:_MAX_MESSAGE]


def _int(value: str | None) -> int | None:
    """A whole number field, None when absent or not a number."""
    return int(value) if value and value.isdigit() else None


def _is_result(body: str) -> bool:
    """Whether the body holds a Duplicati result (text or JSON), possibly cut off."""
    marked = "MainOperation" in body or "ParsedResult" in body
    if marked and (_TEXT_MARKER.search(body) or _JSON_MARKER.search(body)):
        return True
    text_keys = ("DeletedFiles:", "ExaminedFiles:")
    json_keys = ('"DeletedFiles"', '"ExaminedFiles"')
    list_keys = ("ListFilesets:", "VerboseOutput:")
    return any(all(k in body for k in keys) for keys in (text_keys, json_keys, list_keys))


def _status_and_message(
    fields: dict[str, str], body: str, whole: dict[str, Any]
) -> tuple[Status, str]:
    """Status from ParsedResult; message: first error, else first warning, else the result."""
    result = fields.get("ParsedResult", "")
    if not result:
        # issue-6649…: the JSON result is cut off before ParsedResult, so the outcome is
        # unknown: a warning. (issue-4120… is cut after it and parses normally.)
        return Status.WARNING, "no ParsedResult (result cut off)"
    status = _STATUSES.get(result.lower(), Status.WARNING)
    detail = _first_item(body, whole, "Errors") or _first_item(body, whole, "Warnings")
    if status is Status.SUCCESS or not detail:
        return status, result
    return status, f"{result}: {detail}"


class DuplicatiParser:
    """Duplicati operation result mails (backup, restore, compact, test…)."""

    name = "duplicati"
    product = "duplicati"
    version = "1"
    priority = 40

    def matches(self, mail: MailView) -> bool:
        """A ParsedResult/MainOperation key (text or JSON) or the result's file counters."""
        return _is_result(mail.body)

    def parse(self, mail: MailView) -> list[Report]:
        """One report for the operation; List results are ignored."""
        body = mail.body
        json_scalars, whole = _json_fields(body)
        fields = {**_text_fields(body), **json_scalars}
        if not ({"ParsedResult", "MainOperation"} & fields.keys()) and "ListFilesets" in fields:
            raise IgnoreMail("Duplicati List operation result, not a backup report")
        heading = _HEADING.search(mail.subject) or _HEADING.search(body[:2000])
        name = _BACKUP_NAME.search(body)
        machine = _MACHINE_NAME.search(body)
        operation = fields.get("MainOperation") or (heading["op"] if heading else "Backup")
        status, message = doubted(*_status_and_message(fields, body, whole), body)
        tz = zone_of(mail.date)
        uploaded = _UPLOADED.search(body)
        report = Report(
            product="duplicati",
            job_type=operation.lower(),
            job_name=heading["name"] if heading else (name["name"] if name else ""),
            host=machine["name"] if machine else "",
            status=status,
            started_at=_time(fields.get("BeginTime", ""), tz),
            ended_at=_time(fields.get("EndTime", ""), tz),
            message=message,
            size_bytes=_int(fields.get("SizeOfExaminedFiles")),
            transferred_bytes=int(uploaded["n"]) if uploaded else None,
        )
        return [report]


PARSERS = [DuplicatiParser()]
