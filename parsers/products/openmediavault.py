"""OpenMediaVault rsync jobs: the cron mails of `/var/lib/openmediavault/cron.d/rsync-<uuid>`.

The job script prints `Please wait, syncing <src> to <dst> ...`, rsync's output and then
`The synchronisation has completed successfully.` or `The synchronisation failed.`; cron
mails it with the subject `Cron - <job comment>` (or, when cron itself mails stderr, a
subject holding the whole command line). rsync error lines decide over the closing line
(older scripts print success unconditionally): exit codes 23/24 (partial transfer,
vanished files) are warnings, any other code fails the run.

A body holding only rsync's complaint and no OMV line nor OMV subject (issue #812's
first mail) is not recognised: nothing in it names OpenMediaVault.

Times: the mail carries no run times; `started_at`/`ended_at` stay None.
"""

from __future__ import annotations

import re

from parsers.mailview import MailView
from parsers.model import Report, Status
from parsers.textutil import parse_number

_SYNCING = re.compile(r"Please wait, syncing <(?P<src>[^>]*)> to <(?P<dst>[^>]*)>")
_SUCCESS = "The synchronisation has completed successfully."
_FAILED = re.compile(
    r"The synchronisation failed\.|Source storage device not mounted at <[^>]*>!|"
    r"Destination storage device not mounted at <[^>]*>!"
)
_RSYNC_ERROR = re.compile(r"rsync error: (?P<what>[^\n]*?) \(code (?P<code>\d+)\)")
_RSYNC_WARNING = re.compile(r"rsync warning: (?P<what>[^\n]*?) \(code (?P<code>\d+)\)")
_SUBJECT_OMV = re.compile(r"openmediavault/cron\.d/rsync-|^Cron - ", re.I)
_SUBJECT_JOB = re.compile(r"Cron - (?P<job>[^\"'\n]+)")
_CRON_HOST = re.compile(r"^Cron <[^@>]+@(?P<host>[^>]+)>")
_TOTAL_SIZE = re.compile(r"total size is (?P<n>[\d,.]+)")
_SENT = re.compile(r"sent (?P<sent>[\d,.]+) bytes\s+received (?P<received>[\d,.]+) bytes")
_PARTIAL_CODES = frozenset({"23", "24"})


def _number(text: str) -> int | None:
    """An rsync byte count such as `1,234,567`."""
    value = parse_number(text)
    return int(value) if value is not None else None


def _status(body: str) -> tuple[Status, str]:
    """rsync errors first, then the script's own closing line."""
    error = _RSYNC_ERROR.search(body)
    if error:
        partial = error["code"] in _PARTIAL_CODES
        status = Status.WARNING if partial else Status.FAILED
        return status, f"rsync error: {error['what']} (code {error['code']})"
    failed = _FAILED.search(body)
    if failed:
        return Status.FAILED, failed.group(0)
    warning = _RSYNC_WARNING.search(body)
    if warning:
        return Status.WARNING, f"rsync warning: {warning['what']} (code {warning['code']})"
    if _SUCCESS in body:
        return Status.SUCCESS, _SUCCESS
    return Status.WARNING, "no closing line from the rsync job (output cut off?)"


def _job_name(mail: MailView, body: str) -> str:
    """The job comment from `Cron - <job>`, else `<src> -> <dst>`."""
    m = _SUBJECT_JOB.search(mail.subject)
    if m:
        return m["job"].strip()
    sync = _SYNCING.search(body)
    return f"{sync['src']} -> {sync['dst']}" if sync else "rsync"


def _transferred(body: str) -> int | None:
    """Bytes sent plus received from rsync's --verbose summary."""
    m = _SENT.search(body)
    if not m:
        return None
    sent, received = _number(m["sent"]), _number(m["received"])
    return sent + received if sent is not None and received is not None else None


class OpenMediaVaultRsyncParser:
    """Cron mails of OpenMediaVault rsync jobs."""

    name = "openmediavault"
    product = "openmediavault"
    version = "1"
    priority = 60

    def matches(self, mail: MailView) -> bool:
        """The job script's own lines, or an OMV cron subject over rsync output."""
        body = mail.body
        if _SYNCING.search(body) or _SUCCESS in body:
            return True
        if ("synchronisation failed" in body or "device not mounted" in body) and _FAILED.search(
            body
        ):
            return True
        return bool(_SUBJECT_OMV.search(mail.subject)) and "rsync" in body

    def parse(self, mail: MailView) -> list[Report]:
        """One report for the rsync run."""
        body = mail.body
        status, message = _status(body)
        cron_host = _CRON_HOST.match(mail.subject)
        total = _TOTAL_SIZE.search(body)
        report = Report(
            product="openmediavault",
            job_type="sync",
            job_name=_job_name(mail, body),
            host=cron_host["host"] if cron_host else mail.sender_domain,
            status=status,
            message=message,
            size_bytes=_number(total["n"]) if total else None,
            transferred_bytes=_transferred(body),
        )
        return [report]


PARSERS = [OpenMediaVaultRsyncParser()]
