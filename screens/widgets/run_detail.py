"""The run detail pane: status block, objects table, mail metadata and the mail as text."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from backupchecks_tui.safe_text import clean, one_line
from backupchecks_tui.services.checks import RunDetail
from screens.style import STATUS_STYLE, literal, status_text

MAX_OBJECTS = 500
MAX_BODY = 200_000


def _when(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if moment else "—"


def _size(value: int | None) -> str:
    if value is None:
        return "—"
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.1f} {unit}" if unit != "B" else f"{int(size)} B"
        size /= 1024
    return f"{value} B"


def status_block(detail: RunDetail, zone: ZoneInfo, *, ascii_only: bool) -> RenderableType:
    """Status, times, sizes and message of the run."""
    run = detail.run
    table = Table.grid(padding=(0, 2))
    table.add_column(style="dim", no_wrap=True)
    table.add_column()
    status = status_text(run.status, ascii_only=ascii_only)
    if run.overridden:
        status = Text.assemble(
            status_text(run.status, ascii_only=ascii_only),
            (f" (override: {one_line(detail.override_text, 80)})", "italic green"),
            (f" — reported {run.reported_status}", "dim"),
        )
    table.add_row("Status", status)
    table.add_row("Job", literal(f"{detail.customer or 'Unassigned'} / {detail.job_name}", 120))
    table.add_row("Product", literal(f"{detail.product} {detail.job_type}".strip()))
    table.add_row("Start", _when(run.started_at, zone))
    table.add_row("End", _when(run.ended_at, zone))
    if run.started_at and run.ended_at:
        table.add_row("Duration", str(run.ended_at - run.started_at).split(".")[0])
    table.add_row(
        "Size", f"{_size(detail.size_bytes)} (transferred {_size(detail.transferred_bytes)})"
    )
    if run.message:
        table.add_row("Message", Text(clean(run.message)))
    if run.reviewed_by:
        table.add_row("Reviewed", literal(run.reviewed_by))
    return table


def objects_table(detail: RunDetail, *, ascii_only: bool) -> RenderableType:
    """The run's objects, problems first."""
    if not detail.objects:
        return Text("No objects in this report.", style="dim")
    table = Table(box=None, padding=(0, 1), header_style="bold", expand=True)
    table.add_column("Object", ratio=3, overflow="fold")
    table.add_column("Type", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("Message", ratio=4, overflow="fold")
    for obj in detail.objects[:MAX_OBJECTS]:
        table.add_row(
            literal(obj.name, 80),
            literal(obj.type, 14),
            status_text(obj.status, ascii_only=ascii_only),
            Text(
                one_line(obj.message, 400),
                style=STATUS_STYLE.get(obj.status, "") if obj.status != "success" else "",
            ),
        )
    if len(detail.objects) > MAX_OBJECTS:
        more = len(detail.objects) - MAX_OBJECTS
        return Group(table, Text(f"… and {more} more objects", style="dim"))
    return table


def mail_block(detail: RunDetail, zone: ZoneInfo) -> RenderableType:
    """From, subject, date and parser of the report mail."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="dim", no_wrap=True)
    table.add_column()
    if detail.mail_id is None:
        table.add_row("Mail", Text("none — a synthetic Missed run", style="magenta"))
        return table
    table.add_row("From", literal(detail.mail_from, 120))
    table.add_row("Subject", literal(detail.mail_subject, 200))
    table.add_row("Date", _when(detail.mail_date, zone))
    table.add_row("Parser", literal(detail.parser))
    table.add_row("Mail id", str(detail.mail_id))
    return table


def body_text(detail: RunDetail) -> Text:
    """The mail body, literally (escapes removed), cut at MAX_BODY characters."""
    body = clean(detail.body)
    if len(body) > MAX_BODY:
        body = body[:MAX_BODY] + f"\n… (cut at {MAX_BODY} characters; export the mail with e)"
    return Text(body)


class RunDetailView(VerticalScroll):
    """Shows one run; `show(None)` clears it."""

    def compose(self):  # type: ignore[no-untyped-def]
        """Four blocks, filled by `show`."""
        yield Static(id="detail-status")
        yield Static(Text("Objects", style="bold underline"), classes="detail-head")
        yield Static(id="detail-objects")
        yield Static(Text("Mail", style="bold underline"), classes="detail-head")
        yield Static(id="detail-mail")
        yield Static(id="detail-body")

    def show(self, detail: RunDetail | None, zone: ZoneInfo, *, ascii_only: bool) -> None:
        """Render `detail` (or an empty hint)."""
        status = self.query_one("#detail-status", Static)
        if detail is None:
            status.update(Text("No run selected.", style="dim"))
            for name in ("#detail-objects", "#detail-mail", "#detail-body"):
                self.query_one(name, Static).update("")
            return
        status.update(status_block(detail, zone, ascii_only=ascii_only))
        self.query_one("#detail-objects", Static).update(
            objects_table(detail, ascii_only=ascii_only)
        )
        self.query_one("#detail-mail", Static).update(mail_block(detail, zone))
        self.query_one("#detail-body", Static).update(body_text(detail))
        self.scroll_home(animate=False)
