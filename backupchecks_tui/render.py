"""Plain-terminal rendering of parse results for the CLI (mail text shown literally)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from backupchecks_tui.safe_text import clean, one_line
from parsers import ParseResult

STATUS_STYLE = {"success": "green", "warning": "yellow", "failed": "red", "missed": "magenta"}


def print_parse_result(console: Console, name: str, result: ParseResult) -> None:
    """Print what the registry made of one mail."""
    head = Text()
    head.append(clean(name), style="bold")
    head.append(f": {result.outcome.value}")
    if result.parser:
        head.append(f" by {result.parser} {result.parser_version or ''}".rstrip())
    console.print(head)
    if result.reason:
        console.print(Text("  reason: " + one_line(result.reason)))
    for report in result.reports:
        line = Text("  ")
        line.append(report.status.value, style=STATUS_STYLE[report.status.value])
        line.append(f"  {report.product}/{report.job_type}  ")
        line.append(one_line(report.job_name, 60), style="bold")
        if report.host:
            line.append("  @ " + one_line(report.host, 40))
        console.print(line)
        times = [t.isoformat() for t in (report.started_at, report.ended_at) if t]
        if times:
            console.print(Text("    " + " → ".join(times)))
        if report.message:
            console.print(Text("    " + one_line(report.message, 200)))
        if report.objects:
            table = Table(box=None, padding=(0, 1), show_header=True, header_style="dim")
            for column in ("object", "type", "status", "message"):
                table.add_column(column)
            for obj in report.objects:
                table.add_row(
                    Text(one_line(obj.name, 50)),
                    Text(one_line(obj.type, 12)),
                    Text(obj.status.value, style=STATUS_STYLE[obj.status.value]),
                    Text(one_line(obj.message, 80)),
                )
            console.print(table)
