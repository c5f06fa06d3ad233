"""The reading pane of every screen: a run, a ticket, a remark, a mail."""

from __future__ import annotations

from typing import Any

from rich.console import RenderableType
from rich.text import Text
from textual.widgets import RichLog

from backupchecks_tui.safe_text import clean
from screens.style import shown


class DetailLog(RichLog):
    """A RichLog set up for reading one thing from its top.

    Plain text (no markup, no highlighting: mail text is shown literally), wrapped at the
    pane's own width (RichLog renders at least `min_width` cells and crops the rest, which
    cut the middle out of long lines at its default of 78), and no scrolling to the end
    on write (a detail is read from its top).
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(
            id=id, wrap=True, markup=False, highlight=False, auto_scroll=False, min_width=20
        )

    def write(self, content: RenderableType | object, *args: Any, **kwargs: Any) -> DetailLog:
        """Write `content`, a str or Text cleaned first: whatever a pane is given, no
        control sequence, bidi or zero-width character of a mail reaches the terminal."""
        if isinstance(content, str):
            content = Text(clean(content))
        elif isinstance(content, Text):
            content = shown(content)
        super().write(content, *args, **kwargs)
        return self
