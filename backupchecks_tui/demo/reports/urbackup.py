"""UrBackup report-script mails."""

from __future__ import annotations

from datetime import timedelta

from backupchecks_tui.demo.mail import DemoRun, Mail, render, seeded_rng, timestamp
from backupchecks_tui.domain import RunStatus


def urbackup_backup(run: DemoRun) -> bytes:
    """A UrBackup report-script mail for one client (`run.job` is the client name).

    `run.detail` is 'image' or 'file' (default); a warning logs `run.message` as a warning
    of an otherwise successful backup, a failed run logs it as an error.
    """
    kind = "urbackup"
    rng = seeded_rng(kind, run)
    what = "image" if run.detail == "image" else "file"
    level = "full" if run.start.weekday() == 5 else "incremental"
    lines = [
        f"{timestamp(run.start)}(info): Starting scheduled {level} {what} backup...",
    ]
    infos, warns, errs = 1, 0, 0
    if what == "file":
        lines.append(
            f'{timestamp(run.start + timedelta(seconds=3))}(info): Indexing of "C" done. '
            f"{rng.randint(300, 9000)} filesystem lookups 0 db lookups and 0 db updates"
        )
    else:
        lines.append(
            f"{timestamp(run.start + timedelta(seconds=4))}(info): "
            "Basing image backup on last incremental or full image backup"
        )
    infos += 1
    middle = run.start + run.duration / 2
    if run.status == RunStatus.WARNING:
        lines.append(f"{timestamp(middle)}(warning): {run.message or 'Skipping file.'}")
        warns += 1
    if run.status == RunStatus.FAILED:
        lines.append(f"{timestamp(run.end)}(error): {run.message or 'Backup failed'}")
        lines.append(f"{timestamp(run.end)}(error): Backup failed")
        errs += 2
    else:
        lines.append(
            f"{timestamp(run.end)}(info): Transferred {rng.uniform(0.05, 9):.2f} GB - "
            f"Average speed: {rng.uniform(20, 400):.1f} MBit/s"
        )
        lines.append(
            f"{timestamp(run.end)}(info): Time taken for backing up client {run.job}: "
            f"{int(run.duration.total_seconds() // 60)}m {int(run.duration.total_seconds() % 60)}s"
        )
        infos += 2
    plural = "s" if warns != 1 else ""
    text = (
        f"UrBackup just did {'a' if level == 'full' else 'an'} {level} {what} backup of "
        f'"{run.job}".\n\nReport:\n( {infos} infos, {warns} warning{plural}, {errs} errors)\n\n'
        + "\n".join(lines)
        + "\n"
    )
    result = "failed" if run.status == RunStatus.FAILED else "success"
    subject = f'UrBackup: {level.capitalize()} {what}  backup of "{run.job}" - {result}'
    return render(Mail(kind, run, "UrBackup Server", subject, text=text))
