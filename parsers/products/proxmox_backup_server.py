"""Proxmox Backup Server job mails: verify, prune, garbage collection, sync and tape backup.

Both the legacy mails (PBS ≤ 3.1, text plus a `<pre>` HTML copy) and the notification
system's templates (PBS 3.2+) are read. The subject ends in 'successful' or 'failed';
there is no warning level. Mails carry no run times except the garbage collection's
task ID (UPID), whose start time is a Unix epoch and so needs no zone guess.
Other mails from PBS (package updates, tape load requests, tests) are ignored; a PBS mail
with a subject worded otherwise is read from the body's status sentence (a success there
is only a warning) or left for the Inbox, never ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from parsers.mailview import MailView
from parsers.model import IgnoreMail, Report, ReportObject, Status
from parsers.textutil import find_field, parse_size, strip_reply_prefixes, unquote_body

PRODUCT = "proxmox-backup-server"
_Q = r"'(?P<{}>[^']*)'"


@dataclass(frozen=True, slots=True)
class JobKind:
    """One kind of PBS job mail: its subject pattern and how to name the job."""

    job_type: str
    subject: re.Pattern[str]


_KINDS = (
    JobKind(
        "garbage-collection",
        re.compile(rf"Garbage Collect Datastore {_Q.format('store')} (?P<res>successful|failed)"),
    ),
    JobKind(
        "verify", re.compile(rf"Verify Datastore {_Q.format('store')} (?P<res>successful|failed)")
    ),
    JobKind(
        "prune", re.compile(rf"Pruning datastore {_Q.format('store')} (?P<res>successful|failed)")
    ),
    JobKind(
        "sync",
        re.compile(
            rf"Sync (?:remote {_Q.format('remote')} datastore|local datastore) "
            rf"{_Q.format('store')} (?P<res>successful|failed)"
        ),
    ),
    JobKind(
        "tape-backup",
        re.compile(
            rf"Tape Backup (?:{_Q.format('id')} )?datastore {_Q.format('store')} "
            r"(?P<res>successful|failed)"
        ),
    ),
)
_NOT_JOBS = re.compile(
    r"Load Media '|New software packages available|Test notification|ACME|"
    r"Certificate|Updates? available",
    re.I,
)
_SENTENCE = re.compile(
    r"^[ \t]*((?:Garbage collection|Verification|Pruning|Synchronization|Tape Backup) "
    r"(?:successful\.|failed(?::.*| on these snapshots(?:/groups)?:)))\s*$",
    re.M,
)
_UPID = re.compile(r"UPID:[^:\s]+:[0-9A-Fa-f]+:[0-9A-Fa-f]+:(?:[0-9A-Fa-f]+:)?([0-9A-Fa-f]{8}):")
_LINK_HOST = re.compile(r"<https?://([^:/>]+)")
_AUTHOR = "proxmox backup server"
# 'Duration: 1h 2m', 'Used Tapes:', 'Please visit …:' end a snapshot list; 'store:vm/1/…' does not.
_LABEL_LINE = re.compile(r"^[A-Z][\w ]*:(?:\s|$)")


class ProxmoxBackupServerParser:
    """PBS job status mails (one report per mail)."""

    name = "proxmox-backup-server"
    product = PRODUCT
    version = "1"
    priority = 50

    def matches(self, mail: MailView) -> bool:
        """A PBS job subject, or any mail whose author is 'Proxmox Backup Server'."""
        if mail.from_name.lower().startswith(_AUTHOR):
            return True
        subject = mail.subject
        return any(kind.subject.search(subject) for kind in _KINDS)

    def parse(self, mail: MailView) -> list[Report]:
        """The report of the job, or IgnoreMail for PBS notices that are not job results."""
        subject = strip_reply_prefixes(mail.subject)
        for kind in _KINDS:
            head = kind.subject.search(subject)
            if head is not None:
                return [_report(kind, head, mail)]
        if _NOT_JOBS.search(subject):
            raise IgnoreMail(f"Proxmox Backup Server notice, not a job result: {subject!r}")
        # A PBS mail whose subject is worded in a way not known here is no proof of
        # anything: the body's own status sentence decides, and without one the mail
        # goes to the Inbox (an empty reading) instead of being ignored.
        report = _body_report(mail, subject)
        return [report] if report is not None else []


def _report(kind: JobKind, head: re.Match[str], mail: MailView) -> Report:
    """The report for a recognised job subject."""
    body = unquote_body(mail.body)
    groups = head.groupdict()
    store = groups["store"]
    # The body's own status sentence can only make it worse: a 'successful' subject over
    # a 'failed' sentence (damaged, edited or templated differently) is not a success.
    failed = head.group("res") == "failed" or _sentence_failed(body)
    job_id = (find_field(body, "Job ID") or groups.get("id") or "").strip()
    objects = _objects(kind, body, failed)
    return Report(
        product=PRODUCT,
        job_type=kind.job_type,
        job_name=job_id or store,
        host=_host(mail, body),
        status=Status.FAILED if failed else Status.SUCCESS,
        started_at=_upid_start(body),
        message=_message(body, store, groups.get("remote"), len(objects)),
        size_bytes=_size(kind, body),
        objects=objects,
    )


_SENTENCE_KINDS = {
    "garbage collection": "garbage-collection",
    "verification": "verify",
    "pruning": "prune",
    "synchronization": "sync",
    "tape backup": "tape-backup",
}


def _sentence_failed(body: str) -> bool:
    """Whether any status sentence of the body says the job failed."""
    return any(" failed" in m.group(1) for m in _SENTENCE.finditer(body))


def _body_report(mail: MailView, subject: str) -> Report | None:
    """A report read from the body's status sentence alone (subject not recognised).

    A failure sentence is a failure; a success sentence is only a warning, since the
    subject that should confirm it is not one PBS is known to send.
    """
    body = unquote_body(mail.body)
    m = _SENTENCE.search(body)
    if m is None:
        return None
    sentence = m.group(1).strip()
    kind = next(
        (v for k, v in _SENTENCE_KINDS.items() if sentence.lower().startswith(k)), "unknown"
    )
    store = (find_field(body, "Datastore") or "").strip()
    failed = _sentence_failed(body)
    note = "" if failed else " (subject not recognised, success not proven)"
    return Report(
        product=PRODUCT,
        job_type=kind,
        job_name=store or kind,
        host=_host(mail, body),
        status=Status.FAILED if failed else Status.WARNING,
        started_at=_upid_start(body),
        message=f"{sentence}{note} - subject {subject!r}",
    )


def _host(mail: MailView, body: str) -> str:
    """The node from the author 'Proxmox Backup Server - <node>', else the link's host."""
    if mail.from_name.lower().startswith(_AUTHOR) and " - " in mail.from_name:
        return mail.from_name.split(" - ", 1)[1].strip()
    link = _LINK_HOST.search(body)
    return link.group(1) if link else mail.sender_domain


def _message(body: str, store: str, remote: str | None, count: int) -> str:
    """'datastore X[ from …]: <status sentence>' (a listing sentence gets its count)."""
    m = _SENTENCE.search(body)
    sentence = m.group(1).strip() if m else ""
    if sentence.endswith(":"):
        sentence = f"{sentence.rstrip(':')} ({count})"
    return f"{_where(body, store, remote)}: {sentence}" if sentence else _where(body, store, remote)


def _where(body: str, store: str, remote: str | None) -> str:
    """The datastore a job worked on; for sync jobs also where it pulled from."""
    target = (find_field(body, "Datastore") or store).strip()
    if find_field(body, "Local Source Store") is not None:
        return f"datastore {target} from local store {store}"
    if remote:
        return f"datastore {target} from remote {remote} store {store}"
    return f"datastore {target}"


def _upid_start(body: str) -> datetime | None:
    """The task start time encoded in a 'Task ID: UPID:…' line."""
    m = _UPID.search(body)
    if m is None:
        return None
    return datetime.fromtimestamp(int(m.group(1), 16), tz=UTC)


def _size(kind: JobKind, body: str) -> int | None:
    """For garbage collection: the datastore's on-disk usage."""
    if kind.job_type != "garbage-collection":
        return None
    value = find_field(body, "On-Disk usage")
    return parse_size(value.split("(", 1)[0]) if value else None


def _objects(kind: JobKind, body: str, failed: bool) -> tuple[ReportObject, ...]:
    """Failed snapshots of a verify job, or the snapshots a tape backup wrote."""
    if kind.job_type == "verify" and failed:
        names = _list_after(body, "Verification failed on these snapshots")
        return tuple(
            ReportObject(n, "snapshot", Status.FAILED, "verification failed") for n in names
        )
    if kind.job_type == "tape-backup":
        names = _list_after(body, "Snapshots included:")
        return tuple(ReportObject(n, "snapshot", Status.SUCCESS) for n in names)
    return ()


def _list_after(body: str, heading: str) -> list[str]:
    """The non-empty lines after `heading` up to the next blank line after the list."""
    _, found, rest = body.partition(heading)
    if not found:
        return []
    lines = rest.split("\n", 1)[1].splitlines() if "\n" in rest else []
    out: list[str] = []
    for line in lines:
        if not line.strip():
            if out:
                break
            continue
        if _LABEL_LINE.match(line):
            break
        out.extend(line.split())  # one entry a line, or run together by the template's '~'
    return out


PARSERS = [ProxmoxBackupServerParser()]
