"""Cells of the Run Checks tables: one job of the queue, one run of a job."""

from __future__ import annotations

from datetime import date, tzinfo

from rich.text import Text

from backupchecks_tui.views.checks import QueueRow, RunRow
from screens.style import literal, markers_text, status_text


def age(day: date, today: date) -> str:
    """How old the oldest unreviewed run is, in days ('today' for today's)."""
    days = (today - day).days
    return "today" if days <= 0 else f"{days}d"


def job_cells(
    row: QueueRow,
    *,
    selected: bool,
    ascii_only: bool,
    today: date,
    widths: tuple[int, int] = (20, 26),
) -> list[Text | str]:
    """Selection mark with 🎫/💬, worst status, customer, job, runs, age, product.

    The markers lead the row so they stay in view however narrow the pane is; the
    product comes last, so at 80 columns it is what gets cut, not the runs and age.
    `widths`: the customer and job columns (see `name_widths`).
    """
    lead = Text("*" if selected else " ", style="bold cyan")
    lead.append_text(markers_text(row.marks, ascii_only=ascii_only))
    return [
        lead,
        status_text(row.worst_status, ascii_only=ascii_only),
        literal(row.customer or "Unassigned", widths[0], "" if row.customer else "dim"),
        literal(row.job_name, widths[1]),
        Text(str(row.runs), justify="right"),
        Text(age(row.oldest_day, today), justify="right"),
        literal(row.product, 14),
    ]


def run_cells(run: RunRow, zone: tzinfo, *, ascii_only: bool) -> list[Text | str]:
    """Day, status (with override badge), start, problem/objects, message."""
    start = run.started_at.astimezone(zone).strftime("%H:%M") if run.started_at else "—"
    return [
        Text(run.run_day.isoformat()),
        status_text(run.status, ascii_only=ascii_only, overridden=run.overridden),
        Text(start),
        Text(f"{run.problem_count}/{run.object_count}" if run.object_count else "—"),
        literal(run.message, 60),
    ]


FIXED_COLUMNS = 52
"""Cells of the job row besides customer and job, with cell padding and the scrollbar."""


def name_widths(pane: int, fixed: int = FIXED_COLUMNS) -> tuple[int, int]:
    """Customer and job column widths for a table `pane` cells wide whose other columns
    take `fixed`: at least 20 and 26, at most 36 and 48, and on wide terminals the room the
    other columns leave (long customer and job names are common: "Atlas Freight
    Forwarding", "pve02.blueridge-logistics.example")."""
    names = min(max(pane - fixed, 46), 84)
    customer = max(20, round(names * 0.43))
    return customer, names - customer


def landing_run(rows: list[RunRow], keep: int | None) -> int | None:
    """The run the cursor lands on in `rows`: `keep` when it is there, else the worst."""
    if keep is not None and any(r.id == keep for r in rows):
        return keep
    return rows[worst_run_index(rows)].id if rows else None


def worst_run_index(rows: list[RunRow]) -> int:
    """The newest of the job's worst runs: the one that put the job where it is in the queue
    (a job that failed on Sunday and succeeded on Monday opens on Sunday's failure)."""
    worst = max((r.status.rank for r in rows), default=0)
    return next((i for i, r in enumerate(rows) if r.status.rank == worst), 0)
