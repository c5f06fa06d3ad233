"""Acronis Cyber Protect Cloud device notifications."""

from __future__ import annotations

from backupchecks_tui.demo.mail import GIB, DemoRun, Mail, gb, hms, render, seeded_rng, timestamp
from backupchecks_tui.domain import RunStatus


def acronis_backup(run: DemoRun) -> bytes:
    """An Acronis Cyber Protect Cloud per-device notification (`run.host` is the device,
    `run.job` the protection plan)."""
    kind = "acronis"
    rng = seeded_rng(kind, run)
    heading = {
        RunStatus.SUCCESS: "Backup succeeded",
        RunStatus.WARNING: "Backup succeeded with warnings",
        RunStatus.FAILED: "Backup failed",
    }[run.status]
    lines = [
        heading,
        "",
        "The protection plan could not back up the device."
        if run.status == RunStatus.FAILED
        else "The protection plan was executed.",
        "",
        f"Device: {run.host}",
        f"Plan name: {run.job}",
        f"Start time: {timestamp(run.start)}",
        f"Finish time: {timestamp(run.end)}",
        f"Backup duration: {hms(run.duration)}",
    ]
    if run.status != RunStatus.FAILED:
        lines.append(f"Backup size: {gb(rng.uniform(0.2, 80) * GIB)}")
    if run.status == RunStatus.FAILED:
        lines.append(f"Error: {run.message or 'The backup failed.'}")
    elif run.status == RunStatus.WARNING:
        lines.append(f"Warning: {run.message or 'Some files were skipped.'}")
    lines += ["", "Acronis Cyber Protect Cloud", ""]
    subject = f"{heading}: {run.host}"
    return render(Mail(kind, run, "Cyber Protect", subject, text="\n".join(lines)))
