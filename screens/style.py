"""How statuses and markers look: colours, icons and their ASCII fallbacks."""

from __future__ import annotations

from rich.text import Text

from backupchecks_tui.domain import RunStatus
from backupchecks_tui.safe_text import clean, one_line

STATUS_STYLE: dict[str, str] = {
    RunStatus.SUCCESS: "green",
    RunStatus.WARNING: "yellow",
    RunStatus.FAILED: "bold red",
    RunStatus.MISSED: "bold magenta",
}
ICONS: dict[str, str] = {
    RunStatus.SUCCESS: "✔",
    RunStatus.WARNING: "▲",
    RunStatus.FAILED: "✖",
    RunStatus.MISSED: "?",
}
ASCII_ICONS: dict[str, str] = {
    RunStatus.SUCCESS: "+",
    RunStatus.WARNING: "!",
    RunStatus.FAILED: "x",
    RunStatus.MISSED: "?",
}
TICKET = {False: "🎫", True: "T"}
REMARK = {False: "💬", True: "R"}


def status_text(status: str, *, ascii_only: bool, overridden: bool = False) -> Text:
    """A coloured status word with its icon; overrides are marked, never silent."""
    icons = ASCII_ICONS if ascii_only else ICONS
    label = f"{icons.get(status, ' ')} {status.capitalize()}"
    text = Text(label, style=STATUS_STYLE.get(status, ""))
    if overridden:
        text.append(" (override)", style="italic green")
    return text


def markers_text(marks: tuple[bool, bool], *, ascii_only: bool) -> Text:
    """🎫 / 💬 (T / R with ascii_only) for an active ticket / remark covering a job."""
    ticket, remark = marks
    text = Text()
    if ticket:
        text.append(TICKET[ascii_only])
    if remark:
        text.append(REMARK[ascii_only])
    return text


def literal(value: str, limit: int = 0, style: str = "") -> Text:
    """Mail-derived text as a literal, single-line Text (no markup, no escapes)."""
    return Text(one_line(value, limit), style=style)


def shown(value: Text | str) -> Text:
    """`value` as it may reach the terminal: a str as literal Text, and a Text whose
    plain text still holds controls, escapes, bidi or zero-width characters cleaned
    piece by piece, its styles kept (the boundary the tables, panes and dialogs apply
    to whatever a caller built)."""
    if isinstance(value, str):
        return Text(clean(value))
    plain = value.plain
    if clean(plain) == plain:
        return value
    cuts = sorted({cut for span in value.spans for cut in (span.start, span.end)} - {0, len(plain)})
    out = Text(style=value.style, justify=value.justify, no_wrap=value.no_wrap, end=value.end)
    out.overflow = value.overflow
    for piece in value.divide(cuts):
        part = Text(clean(piece.plain))
        for span in piece.spans:
            part.stylize(span.style)
        out.append_text(part)
    return out
