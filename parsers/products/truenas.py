"""TrueNAS (and FreeNAS) alert mails: replication, rsync, cloud sync and snapshot task alerts.

One mail lists new alerts, cleared alerts and all current alerts, backup-related and
unrelated mixed. Each *new* task alert becomes a report; a cleared cloud sync or
snapshot failure (tasks that send no success alert) becomes a success report. Mails
with no task alert, and the test alert, are ignored. Alerts carry no times.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from parsers.mailview import MailView
from parsers.model import IgnoreMail, Report, Status
from parsers.textutil import strip_reply_prefixes

PRODUCT = "truenas"

_SUBJECT = re.compile(r"^(?:TrueNAS|FreeNAS)(?: \w+)?\s+(?P<host>\S+?):\s*Alerts?\b", re.I)
_BODY_HOST = re.compile(r"^(?:TrueNAS|FreeNAS)[\w ]*? @ (?P<host>\S+)", re.M)
_NEW = re.compile(r"^New alerts?:$", re.I)
_CLEARED = re.compile(
    r"^(?:The following alert has been cleared|These alerts have been cleared):$", re.I
)
_CURRENT = re.compile(r"^Current alerts:$", re.I)
_BULLET = re.compile(r"^\s*[*\-•]\s+")


@dataclass(frozen=True, slots=True)
class AlertRule:
    """How one vendor alert text maps to a report."""

    pattern: re.Pattern[str]
    job_type: str
    status: Status
    clears_to_success: bool = False


_RULES = (
    AlertRule(
        re.compile(r'Replication "(?P<name>.+?)" succeeded\.?$'), "replication", Status.SUCCESS
    ),
    AlertRule(
        re.compile(r'Replication "(?P<name>.+?)" failed: (?P<msg>.*?)\.?$'),
        "replication",
        Status.FAILED,
    ),
    AlertRule(
        re.compile(r'Snapshot Task For Dataset "(?P<name>.+?)" failed: (?P<msg>.*?)\.?$'),
        "snapshot",
        Status.FAILED,
        clears_to_success=True,
    ),
    AlertRule(
        re.compile(r'Rsync "(?P<dir>\w+)" task for "(?P<name>.+?)" (?P<res>succeeded|failed)\.?$'),
        "rsync",
        Status.SUCCESS,
    ),
    AlertRule(
        re.compile(r'Cloud sync task "(?P<name>.+?)" failed\.?$'),
        "cloud-sync",
        Status.FAILED,
        clears_to_success=True,
    ),
)


class TrueNasAlertParser:
    """TrueNAS/FreeNAS alert mails; one report per backup-task alert."""

    name = "truenas-alerts"
    product = PRODUCT
    version = "1"
    priority = 50

    def matches(self, mail: MailView) -> bool:
        """A '<TrueNAS|FreeNAS> <host>: Alerts' subject."""
        return bool(_SUBJECT.search(strip_reply_prefixes(mail.subject)))

    def parse(self, mail: MailView) -> list[Report]:
        """The task alerts as reports, or IgnoreMail when there are none."""
        lines = _alert_lines(mail)
        if any("This is a test alert" in line for line in lines):
            raise IgnoreMail("TrueNAS test alert")
        host = _host(mail, lines)
        sections = _sections(lines)
        reports = [r for r in (_report(a, host, False) for a in sections["new"]) if r]
        reports += [r for r in (_report(a, host, True) for a in sections["cleared"]) if r]
        if not reports:
            raise IgnoreMail("TrueNAS alert mail without backup task alerts")
        return reports


def _alert_lines(mail: MailView) -> list[str]:
    """Body lines, from the HTML (one alert a line) or else the html2text text part."""
    text = mail.html_text if mail.html.strip() else mail.text
    lines: list[str] = []
    for raw in text.splitlines():
        if raw.startswith("    ") and lines and not _BULLET.match(raw):
            lines[-1] += " " + raw.strip()  # html2text wraps long list items
            continue
        line = _BULLET.sub("", raw).strip()
        if line:
            lines.append(line)
    return lines


def _host(mail: MailView, lines: list[str]) -> str:
    """The host from the subject, else from the '<product> @ <host>' first line."""
    m = _SUBJECT.search(strip_reply_prefixes(mail.subject))
    if m is not None:
        return m.group("host")
    body = _BODY_HOST.search("\n".join(lines[:3]))
    return body.group("host") if body else ""


def _sections(lines: list[str]) -> dict[str, list[str]]:
    """Alert lines grouped under 'new', 'cleared' and 'current'."""
    out: dict[str, list[str]] = {"new": [], "cleared": [], "current": []}
    current: str | None = None
    for line in lines:
        for name, pattern in (("new", _NEW), ("cleared", _CLEARED), ("current", _CURRENT)):
            if pattern.match(line):
                current = name
                break
        else:
            if current is not None:
                out[current].append(line)
    return out


def _report(alert: str, host: str, cleared: bool) -> Report | None:
    """The report one alert text stands for (None for other alerts)."""
    for rule in _RULES:
        m = rule.pattern.search(alert)
        if m is None or (cleared and not rule.clears_to_success):
            continue
        status = _status(rule, m, cleared)
        message = f"alert cleared: {alert}" if cleared else alert
        return Report(
            product=PRODUCT,
            job_type=rule.job_type,
            job_name=m.group("name"),
            host=host,
            status=status,
            message=message,
        )
    return None


def _status(rule: AlertRule, m: re.Match[str], cleared: bool) -> Status:
    """The rule's status; rsync reads it from the text; a cleared failure is a success."""
    if cleared:
        return Status.SUCCESS
    if rule.job_type == "rsync":
        return Status.FAILED if m.group("res") == "failed" else Status.SUCCESS
    return rule.status


PARSERS = [TrueNasAlertParser()]
