"""Duplicati backup report mails."""

from __future__ import annotations

from datetime import datetime

from backupchecks_tui.demo.mail import DemoRun, Mail, hms, render, seeded_rng
from backupchecks_tui.domain import RunStatus


def _duplicati_time(moment: datetime) -> str:
    """'6/1/2025 2:04:56 AM (1748736296)' — local time and the epoch."""
    hour = moment.hour % 12 or 12
    half = "AM" if moment.hour < 12 else "PM"
    return (
        f"{moment.month}/{moment.day}/{moment.year} {hour}:{moment:%M:%S} {half} "
        f"({int(moment.timestamp())})"
    )


def _duplicati_line(moment: datetime, level: str, source: str, text: str) -> str:
    """One entry of the Messages/Warnings/Errors lists."""
    offset = moment.strftime("%z")
    return f"{moment:%Y-%m-%d %H:%M:%S} {offset[:3]} - [{level}-{source}]: {text}"


def duplicati_backup(run: DemoRun) -> bytes:
    """A Duplicati backup result in the default text format."""
    kind = "duplicati"
    rng = seeded_rng(kind, run)
    examined = rng.randint(2000, 250000)
    modified = rng.randint(0, 600)
    added = rng.randint(0, 300)
    result = {
        RunStatus.SUCCESS: "Success",
        RunStatus.WARNING: "Warning",
        RunStatus.FAILED: "Error",
    }[run.status]
    warnings: list[str] = []
    errors: list[str] = []
    middle = run.start + run.duration / 2
    if run.status == RunStatus.WARNING:
        warnings.append(
            _duplicati_line(
                middle,
                "Warning",
                "Duplicati.Library.Main.Operation.Backup.FileBlockProcessor.FileEntry"
                "-PathProcessingFailed",
                run.message or "Failed to process path: C:\\Users\\Public\\locked.pst",
            )
        )
    if run.status == RunStatus.FAILED:
        errors.append(
            _duplicati_line(
                run.end,
                "Error",
                "Duplicati.Library.Main.Operation.BackupHandler-FatalError",
                run.message or "Fatal error",
            )
        )

    def _list(name: str, items: list[str]) -> str:
        """A `Name: [ … ]` list block."""
        if not items:
            return f"{name}: []"
        return f"{name}: [\n" + ",\n".join(f"    {i}" for i in items) + "\n]"

    messages = [
        _duplicati_line(
            run.start,
            "Information",
            "Duplicati.Library.Main.Controller-StartingOperation",
            "The operation Backup has started",
        ),
        _duplicati_line(
            run.end,
            "Information",
            "Duplicati.Library.Main.BasicResults-BackendEvent",
            f"Backend event: Put - Completed: duplicati-b{rng.randbytes(8).hex()}.dblock.zip.aes",
        ),
    ]
    text = "\n".join(
        [
            f"Duplicati Backup report for {run.job}",
            "",
            f"DeletedFiles: {rng.randint(0, 80)}",
            "DeletedFolders: 0",
            f"ModifiedFiles: {modified}",
            f"ExaminedFiles: {examined}",
            f"OpenedFiles: {modified + added}",
            f"AddedFiles: {added}",
            f"SizeOfModifiedFiles: {modified * rng.randint(20_000, 900_000)}",
            f"SizeOfAddedFiles: {added * rng.randint(20_000, 900_000)}",
            f"SizeOfExaminedFiles: {examined * rng.randint(200_000, 900_000)}",
            f"SizeOfOpenedFiles: {(modified + added) * rng.randint(20_000, 900_000)}",
            "NotProcessedFiles: 0",
            f"AddedFolders: {rng.randint(0, 12)}",
            "TooLargeFiles: 0",
            f"FilesWithError: {len(warnings)}",
            "ModifiedFolders: 0",
            "ModifiedSymlinks: 0",
            "AddedSymlinks: 0",
            "DeletedSymlinks: 0",
            "PartialBackup: False",
            "Dryrun: False",
            "MainOperation: Backup",
            f"ParsedResult: {result}",
            "Version: 2.1.0.5 (2.1.0.5_stable_2025-03-04)",
            f"EndTime: {_duplicati_time(run.end)}",
            f"BeginTime: {_duplicati_time(run.start)}",
            f"Duration: {hms(run.duration)}.{rng.randint(1000000, 9999999)}",
            f"MessagesActualLength: {len(messages)}",
            f"WarningsActualLength: {len(warnings)}",
            f"ErrorsActualLength: {len(errors)}",
            _list("Messages", messages),
            _list("Warnings", warnings),
            _list("Errors", errors),
            "BackendStatistics:",
            f"    RemoteCalls: {rng.randint(8, 60)}",
            f"    BytesUploaded: {rng.randint(1_000_000, 3_000_000_000)}",
            "    BytesDownloaded: 0",
            f"    KnownFileCount: {rng.randint(100, 5000)}",
            "",
        ]
    )
    subject = f"Duplicati Backup report for {run.job}"
    return render(Mail(kind, run, "Duplicati", subject, text=text))
