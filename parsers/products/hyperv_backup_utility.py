"""Hyper-V Backup Utility (Digressive) log mails: `Hyper-V Backup Utility Log N/M VMs Successful`.

The body is the script's log, `YYYY-MM-DD HH:MM:SS [INFO|WARNING|ERROR|SUCCESS] (VM:<name>)
…`; lines without a stamp continue the previous message (localised Windows errors wrap).
Each VM named in the log becomes an object: failed when it logged an ERROR and no later
SUCCESS, a warning when an ERROR was followed by SUCCESS (the tool still counts it as
successful, issue #27), success otherwise. The subject's N/M decides too: N = M success,
N = 0 failed, else warning; the report takes the worst of subject and objects. A log
ERROR not tied to a VM fails the run. The subject may be quoted in a saved body.
Without the N/M count, or with a log line whose level or stamp cannot be read, the run
is at least a warning: success is only proven by the tool's own markers.

Times: log stamps carry no zone; they are read in the zone of the mail's Date header,
or UTC when the mail has none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from parsers.mailview import MailView
from parsers.model import Report, ReportObject, Status
from parsers.textutil import zone_of

_MARKER = "Hyper-V Backup Utility"
_COUNT = re.compile(
    r"Hyper-V Backup Utility(?: Log)? (?P<ok>\d+)/(?P<total>\d+) VMs Successful", re.I
)
_LOG_LINE = re.compile(
    r"^(?P<stamp>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) \[(?P<level>[^\]\s]{1,20})\]\s+"
    r"(?:\(VM:(?P<vm>[^)]*)\)\s*)?(?P<text>.*)$"
)
_LOG_MARKER = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[(?:INFO|ERROR|SUCCESS|WARNING)\] \(VM:", re.M
)
_LEVELS = frozenset({"INFO", "WARNING", "ERROR", "SUCCESS"})
# A problem level written anywhere in a line the log reader could not take as a log line
# (a damaged stamp): evidence the run may not have gone well.
_STRAY_PROBLEM = re.compile(r"\[(?:ERROR|WARNING)\]", re.I)
_MAX_MESSAGE = 300


@dataclass
class _Vm:
    """What the log says about one VM."""

    status: Status = Status.SUCCESS
    errors: list[str] = field(default_factory=list)
    succeeded_after_error: bool = False


@dataclass
class _Log:
    """VMs, run-level errors and the first and last stamps of the log."""

    vms: dict[str, _Vm] = field(default_factory=dict)
    run_errors: list[str] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)
    stamps: list[datetime] = field(default_factory=list)


def _stamp(text: str, tz: tzinfo) -> datetime | None:
    """A log stamp with the chosen zone."""
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=tz)
    except ValueError:
        return None


def _record(log: _Log, m: re.Match[str]) -> list[str] | None:
    """Fold one log line into `log`; return the message list later lines continue."""
    level, vm_name, text = m["level"], m["vm"], m["text"].strip()
    if level not in _LEVELS:
        # A level the tool does not write (a damaged line): unaccounted, so a warning.
        log.unread.append(f"unreadable log level [{level}]: {text}"[:_MAX_MESSAGE])
        level = "WARNING"
    if vm_name is None:
        if level == "ERROR":
            log.run_errors.append(text)
            return log.run_errors
        return None
    vm = log.vms.setdefault(vm_name.strip(), _Vm())
    if level == "ERROR":
        vm.status = Status.FAILED
        vm.errors.append(text)
        return vm.errors
    if level == "WARNING":
        vm.errors.append(text)
        vm.status = Status.worst([vm.status, Status.WARNING])
        return vm.errors
    if level == "SUCCESS" and vm.status is Status.FAILED:
        vm.status = Status.WARNING
    return None


def _read_log(body: str, tz: tzinfo) -> _Log:
    """Walk the log lines; unstamped lines continue the previous problem message."""
    log = _Log()
    continued: list[str] | None = None
    for raw in body.splitlines():
        line = raw.strip()
        m = _LOG_LINE.match(line)
        if m:
            when = _stamp(m["stamp"], tz)
            if when is not None:
                log.stamps.append(when)
            continued = _record(log, m)
        elif continued and line and line != "...":  # '...' = lines elided in the issue
            continued[-1] = f"{continued[-1]} {line}"
        else:
            if _STRAY_PROBLEM.search(line):
                log.unread.append(f"unreadable log line: {line}"[:_MAX_MESSAGE])
            continued = None
    return log


def _subject_status(count: re.Match[str] | None) -> Status | None:
    """All VMs successful → success, none → failed, some → warning."""
    if count is None:
        return None
    ok, total = int(count["ok"]), int(count["total"])
    if ok >= total:
        return Status.SUCCESS
    return Status.FAILED if ok == 0 else Status.WARNING


def _objects(log: _Log) -> tuple[ReportObject, ...]:
    """One `vm` object per VM in the log."""
    return tuple(
        ReportObject(name, "vm", vm.status, "; ".join(vm.errors)[:_MAX_MESSAGE])
        for name, vm in log.vms.items()
    )


def _message(count: re.Match[str] | None, log: _Log) -> str:
    """`N/M VMs Successful` plus the first error in the log."""
    parts = [f"{count['ok']}/{count['total']} VMs Successful"] if count else []
    if count is None and log.vms:
        parts.append("no 'N/M VMs Successful' count found (success not proven)")
    errors = log.run_errors + [e for vm in log.vms.values() for e in vm.errors] + log.unread
    if errors:
        parts.append(errors[0])
    return "; ".join(parts)[:_MAX_MESSAGE]


class HyperVBackupUtilityParser:
    """Log mails of Digressive's Hyper-V Backup Utility."""

    name = "hyperv-backup-utility"
    product = "hyperv-backup-utility"
    version = "1"
    priority = 40

    def matches(self, mail: MailView) -> bool:
        """The tool's name in subject or body, or its `[LEVEL] (VM:name)` log lines."""
        body = mail.body
        if _MARKER in mail.subject or _MARKER in body:
            return True
        return "(VM:" in body and bool(_LOG_MARKER.search(body))

    def parse(self, mail: MailView) -> list[Report]:
        """One report for the run, one object per VM."""
        body = mail.body
        log = _read_log(body, zone_of(mail.date))
        count = _COUNT.search(mail.subject) or _COUNT.search(body)
        objects = _objects(log)
        statuses = [o.status for o in objects]
        subject_status = _subject_status(count)
        if subject_status is not None:
            statuses.append(subject_status)
        if log.run_errors:
            statuses.append(Status.FAILED)
        if count is None or log.unread or not statuses:
            # Success needs the tool's own 'N/M VMs Successful' count and a log read
            # in full; without either it is not proven.
            statuses.append(Status.WARNING)
        report = Report(
            product="hyperv-backup-utility",
            job_type="backup",
            job_name="Hyper-V Backup Utility",
            host="",
            status=Status.worst(statuses),
            started_at=log.stamps[0] if log.stamps else None,
            ended_at=log.stamps[-1] if log.stamps else None,
            message=_message(count, log) or "no VM results in the log",
            objects=objects,
        )
        return [report]


PARSERS = [HyperVBackupUtilityParser()]
