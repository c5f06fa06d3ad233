"""Bareos Director job report mails."""

from __future__ import annotations

from datetime import datetime

from backupchecks_tui.demo.mail import (
    MONTHS,
    DemoRun,
    Mail,
    clock_time,
    render,
    seeded_rng,
)
from backupchecks_tui.domain import RunStatus

_BAREOS_VERSION = "23.1.4 (14Aug24)"


def _bareos_stamp(moment: datetime) -> str:
    """'12-Nov-2025 22:00:03'."""
    return f"{moment.day:02d}-{MONTHS[moment.month - 1][:3]}-{moment.year} {clock_time(moment)}"


def _bareos_log(moment: datetime) -> str:
    """'12-Nov 22:00' (the log-line prefix)."""
    return f"{moment.day:02d}-{MONTHS[moment.month - 1][:3]} {moment:%H:%M}"


def _thousands(value: int) -> str:
    """'2,728,973,824 (2.728 GB)'."""
    return f"{value:,} ({value / 1e9:.3f} GB)"


def bareos_backup(run: DemoRun) -> bytes:
    """A Bareos Director job report (bsmtp text mail).

    `run.host` is the client (e.g. 'acme-fs01-fd'), `run.detail` the FileSet. A warning
    run logs `run.message` as a client warning, a failed run as a fatal error.
    """
    kind = "bareos"
    rng = seeded_rng(kind, run)
    jobid = int(run.start.timestamp() // 600) % 900000 + 1000
    level = "Full" if run.start.weekday() == 6 else "Incremental"
    stamp = f"{run.start:%Y-%m-%d_%H.%M.%S}_{rng.randint(1, 59):02d}"
    fileset = run.detail or "LinuxAll"
    failed = run.status == RunStatus.FAILED
    written = 0 if failed else rng.randint(50_000_000, 60_000_000_000)
    files = 0 if failed else rng.randint(200, 90000)
    director = "bareos-dir"
    seconds = max(1.0, run.duration.total_seconds())
    log = [
        f"{_bareos_log(run.start)} {director} JobId {jobid}: Start Backup JobId {jobid}, "
        f"Job={run.job}.{stamp}",
        f"{_bareos_log(run.start)} {director} JobId {jobid}: Connected Storage daemon at "
        "bareos-sd:9103, encryption: TLS_CHACHA20_POLY1305_SHA256 TLSv1.3",
        f'{_bareos_log(run.start)} {director} JobId {jobid}: Using Device "FileStorage" to write.',
    ]
    if run.status == RunStatus.WARNING:
        log.append(
            f"{_bareos_log(run.start + run.duration / 2)} {run.host} JobId {jobid}: "
            f"Warning: {run.message or 'Could not stat a file: Permission denied'}"
        )
    elif failed:
        error = run.message or "Network error with FD during Backup: ERR=Connection reset by peer"
        log.append(f"{_bareos_log(run.end)} {director} JobId {jobid}: Fatal error: {error}")
    termination = {
        RunStatus.SUCCESS: "Backup OK",
        RunStatus.WARNING: "Backup OK -- with warnings",
        RunStatus.FAILED: "*** Backup Error ***",
    }[run.status]
    flag = "Error: " if failed else ""
    report = [
        f"{_bareos_log(run.end)} {director} JobId {jobid}: "
        f"{flag}Bareos {director} {_BAREOS_VERSION}:",
        "  Build OS:               Debian GNU/Linux 12 (bookworm)",
        f"  JobId:                  {jobid}",
        f"  Job:                    {run.job}.{stamp}",
        f"  Backup Level:           {level}",
        f'  Client:                 "{run.host}" {_BAREOS_VERSION} Linux,debian',
        f'  FileSet:                "{fileset}" 2024-09-02 10:14:07',
        f'  Pool:                   "{level}" (From Job {level}Pool override)',
        '  Catalog:                "MyCatalog" (From Client resource)',
        '  Storage:                "File" (From Job resource)',
        f"  Scheduled time:         {_bareos_stamp(run.start.replace(second=0))}",
        f"  Start time:             {_bareos_stamp(run.start)}",
        f"  End time:               {_bareos_stamp(run.end)}",
        f"  Elapsed time:           {int(run.duration.total_seconds() // 60)} mins "
        f"{int(run.duration.total_seconds() % 60)} secs",
        "  Priority:               10",
        f"  FD Files Written:       {files:,}",
        f"  SD Files Written:       {files:,}",
        f"  FD Bytes Written:       {_thousands(written)}",
        f"  SD Bytes Written:       {_thousands(written + files * 180)}",
        f"  Rate:                   {written / 1000 / seconds:.1f} KB/s",
        f"  Software Compression:   {rng.uniform(30, 70):.1f} % (lz4)",
        "  VSS:                    no",
        "  Encryption:             no",
        "  Accurate:               yes",
        f"  Volume name(s):         {level}-{rng.randint(1, 400):04d}",
        f"  Volume Session Id:      {rng.randint(1, 90)}",
        f"  Volume Session Time:    {int(run.start.timestamp()) - 86400 * 9}",
        f"  Last Volume Bytes:      {_thousands(rng.randint(10**9, 50 * 10**9))}",
        f"  Non-fatal FD errors:    {1 if run.status == RunStatus.WARNING else 0}",
        "  SD Errors:              0",
        f"  FD termination status:  {'Error' if failed else 'OK'}",
        f"  SD termination status:  {'Waiting on FD' if failed else 'OK'}",
        "  Bareos binary info:     Bareos community build (UNSUPPORTED): "
        "Get professional support from https://www.bareos.com",
        "  Job triggered by:       Scheduler",
        f"  Termination:            {termination}",
    ]
    text = "\n".join(log + report) + "\n\n"
    word = {
        RunStatus.SUCCESS: "Backup OK",
        RunStatus.WARNING: "Backup OK -- with warnings",
        RunStatus.FAILED: "Backup Error",
    }
    subject = f"Bareos: {word[run.status]} of {run.host} {level}"
    return render(Mail(kind, run, "(Bareos)", subject, text=text))
