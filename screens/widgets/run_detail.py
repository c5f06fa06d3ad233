"""The run detail pane: status block, objects table, mail metadata and the mail as text."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from rich.text import Text
from textual.reactive import reactive

from backupchecks_tui.safe_text import clean, one_line
from backupchecks_tui.views.checks import RunDetail
from screens.style import STATUS_STYLE, literal, status_text
from screens.widgets.detail_log import DetailLog

MAX_OBJECTS = 500
MAX_BODY = 30_000


def _when(moment: datetime | None, zone: tzinfo) -> str:
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


def _row(out: Text, label: str, value: Text | str) -> None:
    out.append(f"{label:<10}", style="dim")
    out.append(value if isinstance(value, Text) else Text(value))
    out.append("\n")


def status_block(detail: RunDetail, zone: tzinfo, *, ascii_only: bool) -> Text:
    """Status, times, sizes and message of the run."""
    run = detail.run
    out = Text()
    status = status_text(run.status, ascii_only=ascii_only)
    if run.overridden:
        status.append(f" (override: {one_line(detail.override_text, 80)})", style="italic green")
        status.append(f" — reported {run.reported_status}", style="dim")
    _row(out, "Status", status)
    _row(out, "Job", literal(f"{detail.customer or 'Unassigned'} / {detail.job_name}", 120))
    _row(out, "Product", literal(f"{detail.product} {detail.job_type}".strip()))
    _row(out, "Start", _when(run.started_at, zone))
    _row(out, "End", _when(run.ended_at, zone))
    if run.started_at and run.ended_at:
        _row(out, "Duration", str(run.ended_at - run.started_at).split(".")[0])
    sizes = f"{_size(detail.size_bytes)} (transferred {_size(detail.transferred_bytes)})"
    _row(out, "Size", sizes)
    if run.message:
        _row(out, "Message", Text(one_line(run.message, 1000)))
    if run.reviewed_by:
        _row(out, "Reviewed", literal(run.reviewed_by))
    return out


def objects_block(detail: RunDetail, *, ascii_only: bool) -> Text:
    """The run's objects, problems first: one line each, then the problem's message."""
    out = Text()
    out.append(f"Objects ({len(detail.objects)})\n", style="bold underline")
    if not detail.objects:
        out.append("No objects in this report.\n", style="dim")
        return out
    for obj in detail.objects[:MAX_OBJECTS]:
        out.append_text(status_text(obj.status, ascii_only=ascii_only))
        out.append("  ")
        out.append(one_line(obj.name, 80), style="bold" if obj.status.is_problem else "")
        if obj.type:
            out.append(f"  ({one_line(obj.type, 14)})", style="dim")
        if obj.message:
            style = STATUS_STYLE.get(obj.status, "") if obj.status.is_problem else "dim"
            out.append("\n    " + one_line(obj.message, 400), style=style)
        out.append("\n")
    if len(detail.objects) > MAX_OBJECTS:
        out.append(f"… and {len(detail.objects) - MAX_OBJECTS} more objects\n", style="dim")
    return out


def mail_block(detail: RunDetail, zone: tzinfo) -> Text:
    """From, subject, date and parser of the report mail."""
    out = Text()
    out.append("Mail\n", style="bold underline")
    if detail.mail_id is None:
        _row(out, "Mail", Text("none — a synthetic Missed run", style="magenta"))
        return out
    _row(out, "From", literal(detail.mail_from, 120))
    _row(out, "Subject", literal(detail.mail_subject, 200))
    _row(out, "Date", _when(detail.mail_date, zone))
    _row(out, "Parser", literal(detail.parser))
    _row(out, "Mail id", str(detail.mail_id))
    if detail.mail_note:
        _row(out, "Note", Text(detail.mail_note, style="yellow"))
    return out


def body_text(detail: RunDetail) -> Text:
    """The mail body, literally (escapes removed), cut at MAX_BODY characters."""
    return capped(detail.body, "export the mail with e")


def capped(body: str, whole: str) -> Text:
    """`body` cleaned and cut at MAX_BODY characters, saying where the whole mail is."""
    body = clean(body)
    if len(body) > MAX_BODY:
        body = body[:MAX_BODY] + f"\n… (cut at {MAX_BODY} characters; {whole})"
    return Text(body)


def render_detail(detail: RunDetail | None, zone: tzinfo, *, ascii_only: bool) -> Text:
    """The whole detail pane as one Text (cheap to measure and wrap, unlike nested tables)."""
    if detail is None:
        return Text("No run selected.", style="dim")
    out = status_block(detail, zone, ascii_only=ascii_only)
    out.append("\n")
    out.append_text(objects_block(detail, ascii_only=ascii_only))
    out.append("\n")
    out.append_text(mail_block(detail, zone))
    out.append("\n")
    out.append_text(body_text(detail))
    return out


class RunDetailView(DetailLog):
    """Shows the run in `run` (None: a hint); the screen sets it when the run is read.

    A RichLog keeps its own rendered lines, so replacing the run repaints this pane only;
    a Static in a scroll container would make the whole screen lay out again on every
    cursor move.
    """

    run: reactive[RunDetail | None] = reactive(None, always_update=True, init=False)

    def __init__(
        self,
        *,
        zone: tzinfo = UTC,
        ascii_only: bool = False,
        id: str | None = None,  # noqa: A002 - Textual's name
    ) -> None:
        super().__init__(id=id)
        self.zone = zone
        self.ascii_only = ascii_only
        self.shown: Text = render_detail(None, zone, ascii_only=ascii_only)

    def watch_run(self, detail: RunDetail | None) -> None:
        """Render the run (or an empty hint)."""
        self.shown = render_detail(detail, self.zone, ascii_only=self.ascii_only)
        self.redraw()

    def show(self, detail: RunDetail | None, zone: tzinfo, *, ascii_only: bool) -> None:
        """Show `detail` in `zone`."""
        self.zone, self.ascii_only = zone, ascii_only
        self.run = detail

    def redraw(self) -> None:
        """Write the shown run again (after a resize re-wraps it)."""
        self.clear()
        self.write(self.shown, scroll_end=False)
        self.scroll_home(animate=False)
