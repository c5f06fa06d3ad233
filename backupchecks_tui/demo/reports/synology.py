"""Synology Hyper Backup and Active Backup for Business report mails."""

from __future__ import annotations

from datetime import datetime, timedelta

from backupchecks_tui.demo.mail import (
    GIB,
    MONTHS,
    WEEKDAYS_SHORT,
    DemoRun,
    Mail,
    clock_time,
    esc,
    gb,
    render,
    seeded_rng,
    status_counts,
)
from backupchecks_tui.domain import RunStatus

# --- Synology -------------------------------------------------------------------------------


def _dsm_time(moment: datetime) -> str:
    """'Sun, 25 Jan 2025 02:00:01' (DSM's start-time format)."""
    month = MONTHS[moment.month - 1][:3]
    day = WEEKDAYS_SHORT[moment.weekday()]
    return f"{day}, {moment.day:02d} {month} {moment.year} {clock_time(moment)}"


def _dsm_duration(span: timedelta) -> str:
    """'14 Minutes 26 Seconds' / '1 Hours 2 Minutes 3 Seconds'."""
    seconds = max(0, int(span.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours} Hours" if hours else "", f"{minutes} Minutes" if minutes else ""]
    return " ".join([p for p in parts if p] + [f"{secs} Seconds"])


def synology_hyper_backup(run: DemoRun) -> bytes:
    """A DSM Hyper Backup task result (English, HTML with `<BR>` line breaks).

    `run.host` is the NAS name, `run.detail` the destination (e.g. 'Synology C2 Storage').
    Warning means 'partially completed'.
    """
    kind = "syno-hyperbackup"
    rng = seeded_rng(kind, run)
    target = f"{run.detail or 'Synology C2 Storage'} / {run.host}_1.hbk"
    fields = (
        f"Backup task: {run.job}<BR>Backup destination: {target}<BR>"
        f"Start time: {_dsm_time(run.start)}<BR>Duration: {_dsm_duration(run.duration)} <BR><BR>"
    )
    if run.status == RunStatus.FAILED:
        reason = run.message or "The destination is not available."
        lead = f"Backup task {run.job} on {run.host} has failed."
        body = f"{lead}<BR><BR>{esc(reason)}<BR><BR>{fields}"
        result = "has failed"
    else:
        shared = rng.uniform(0.2, 6.0) * 1024**4
        grown = rng.uniform(0.05, 40) * GIB
        sizes = (
            f"Total source size:<BR>- Shared Folder: {gb(shared)}<BR>"
            f"- Application: {gb(rng.uniform(0.1, 2) * GIB)}<BR>"
            f"- Metadata: {gb(rng.uniform(1, 20) * GIB)}<BR>"
            f"Increased target size: {gb(grown)}<BR><BR>"
        )
        if run.status == RunStatus.WARNING:
            lead = f"Backup task {run.job} on {run.host} was partially completed."
            reason = run.message or "Some files were skipped because they could not be read."
            body = f"{lead}<BR><BR>{esc(reason)}<BR><BR>{fields}{sizes}"
            result = "was partially completed"
        else:
            lead = f"Your backup task {run.job} is now complete."
            body = f"{lead}<BR><BR>{fields}{sizes}"
            result = "has completed"
    page = (
        f"<html><body>{body}From {run.host}<BR><BR>"
        "Learn how to back up your Synology NAS: https://sy.to/nasbackup<BR></body></html>\n"
    )
    subject = f"[{run.host}] Hyper Backup - Backup task {run.job} on {run.host} {result}"
    return render(Mail(kind, run, run.host, subject, html=page))


def synology_active_backup(run: DemoRun) -> bytes:
    """An Active Backup for Business task result (the parser reads the subject).

    `run.host` is the NAS, `run.job` the task; `run.detail` 'Microsoft 365' makes it an
    Active Backup for Microsoft 365 mail. Warning means 'partially completed'.
    """
    kind = "syno-abb"
    what = "Microsoft 365" if run.detail == "Microsoft 365" else "Business"
    result = {
        RunStatus.SUCCESS: "has completed",
        RunStatus.WARNING: "was partially completed",
        RunStatus.FAILED: "has failed",
    }[run.status]
    ok, warn, err = status_counts(run)
    lines = [
        f"Backup task {esc(run.job)} on {esc(run.host)} {result}.",
        "",
        f"Task: {esc(run.job)}",
        f"Start time: {_dsm_time(run.start)}",
        f"End time: {_dsm_time(run.end)}",
    ]
    if run.objects:
        lines.append(f"Devices: {ok} succeeded, {warn} partially, {err} failed")
    for obj in run.problems:
        lines.append(f"- {esc(obj.name)}: {esc(obj.message)}")
    if run.message:
        lines.append(esc(run.message))
    lines += ["", f"From {esc(run.host)}"]
    page = f"<html><body>{'<BR>'.join(lines)}<BR></body></html>\n"
    subject = (
        f"[{run.host}] Active Backup for {what} - Backup task {run.job} on {run.host} {result}"
    )
    return render(Mail(kind, run, run.host, subject, html=page))
