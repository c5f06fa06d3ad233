"""rsbackup cron mails: what `rsbackup --backup` printed when run from cron.

rsbackup is silent when all is well, so a cron mail means something went wrong. The
body starts with the cron script (`/etc/cron.hourly/rsbackup:`) and then lines such as
`WARNING: backup of <host>:<volume> to <device>: rsync: exited with status 12`; each of
those is a failed backup of that volume and becomes a failed `volume` object. Other
output (rsync's own error lines, `ERROR:` lines) goes into the message; a mail with no
volume line is a warning, or failed when it holds an `ERROR:` line.

Times: the mail carries no run times; `started_at`/`ended_at` stay None (the mail's Date
is the ingest layer's business).
"""

from __future__ import annotations

import re

from parsers.mailview import MailView
from parsers.model import Report, ReportObject, Status

_CRON_SCRIPT = re.compile(r"^(?P<script>/\S*rsbackup\S*):\s*$", re.M)
_VOLUME = re.compile(
    r"^(?:WARNING|ERROR): backup of (?P<volume>\S+) to (?P<device>\S+?): (?P<msg>.*)$", re.M
)
_ERROR = re.compile(r"^ERROR: (?P<msg>.*)$", re.M)
_SENDER_HOST = re.compile(r"@\(?(?P<host>[\w.-]+)\)?")
_CRON_SUBJECT_HOST = re.compile(r"^Cron <[^@>]+@(?P<host>[^>]+)>")
_MAX_MESSAGE = 300


def _sender_host(mail: MailView) -> str:
    """The host the cron mail came from (subject `Cron <root@host>` or From domain)."""
    m = _CRON_SUBJECT_HOST.match(mail.subject)
    if m:
        return m["host"]
    if mail.sender_domain:
        return mail.sender_domain
    m = _SENDER_HOST.search(mail.headers.get("from", ""))
    return m["host"] if m else ""


def _objects(body: str) -> list[ReportObject]:
    """One failed object per `backup of <host:volume> to <device>` line.

    The first line printed after it (rsync's own complaint) is added to its message.
    """
    found: list[tuple[re.Match[str], list[str]]] = []
    for line in body.splitlines():
        m = _VOLUME.match(line)
        if m:
            found.append((m, []))
        elif found and line.strip():
            found[-1][1].append(line.strip())
    objects = []
    for m, after in found:
        detail = f"; {after[0]}" if after else ""
        message = f"to {m['device']}: {m['msg'].strip()}{detail}"[:_MAX_MESSAGE]
        objects.append(ReportObject(m["volume"], "volume", Status.FAILED, message))
    return objects


def _message(body: str, objects: list[ReportObject]) -> str:
    """The volume failures in short, else the first line of output."""
    if objects:
        first = objects[0]
        more = f" (+{len(objects) - 1} more)" if len(objects) > 1 else ""
        return f"backup of {first.name} {first.message}{more}"[:_MAX_MESSAGE]
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    lines = [line for line in lines if not _CRON_SCRIPT.match(line)]
    return lines[0][:_MAX_MESSAGE] if lines else "rsbackup printed output"


class RsbackupParser:
    """rsbackup runs reported through cron mail."""

    name = "rsbackup"
    product = "rsbackup"
    version = "1"
    priority = 60

    def matches(self, mail: MailView) -> bool:
        """The rsbackup cron script line or a `backup of host:volume to device` line."""
        body = mail.body
        if "rsbackup" not in body and "backup of " not in body:
            return False
        return bool(_CRON_SCRIPT.search(body) or _VOLUME.search(body))

    def parse(self, mail: MailView) -> list[Report]:
        """One report for the cron run, one object per failed volume."""
        body = mail.body
        objects = _objects(body)
        script = _CRON_SCRIPT.search(body)
        failed = bool(objects) or bool(_ERROR.search(body))
        report = Report(
            product="rsbackup",
            job_type="backup",
            job_name=script["script"] if script else "rsbackup",
            host=_sender_host(mail),
            status=Status.FAILED if failed else Status.WARNING,
            message=_message(body, objects),
            objects=tuple(objects),
        )
        return [report]


PARSERS = [RsbackupParser()]
