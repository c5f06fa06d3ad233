"""DataTable subclasses keyed by domain ids, with vim keys and a cursor kept across reloads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

from screens.style import shown


class KeyedTable(DataTable[Text | str]):
    """A row-cursor table whose rows are keyed by integer ids (j/k move like arrows)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g", "scroll_top", "Top", show=False),
        Binding("G", "scroll_bottom", "Bottom", show=False),
    ]

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=True)

    @property
    def current_key(self) -> int | None:
        """The id of the row under the cursor, or None on an empty table."""
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except Exception:  # noqa: BLE001 - cursor outside rows while the table refills
            return None
        return int(key) if key is not None else None

    def add_row(
        self,
        *cells: Text | str,
        height: int | None = 1,
        key: str | None = None,
        label: Text | str | None = None,
    ) -> RowKey:
        """Add a row, every cell cleaned: tables show job, object and sender names from
        mails, and a zero-width or control character in one shifts the columns."""
        return super().add_row(
            *[shown(cell) for cell in cells], height=height, key=key, label=label
        )

    def update_cell(
        self, row_key: object, column_key: object, value: Text | str, *, update_width: bool = False
    ) -> None:
        """Change one cell, cleaned like every other."""
        super().update_cell(row_key, column_key, shown(value), update_width=update_width)  # type: ignore[arg-type]

    def fill(
        self,
        rows: Sequence[tuple[int, Sequence[Text | str]]],
        keep: int | None,
        *,
        refit: bool = False,
    ) -> None:
        """Replace all rows; put the cursor on row id `keep` if present, else the same index.

        Columns only ever widen (DataTable keeps the widest cell it has seen); `refit`
        lets them shrink to the new rows, for when cells were cut to a narrower width.
        """
        index = self.cursor_row
        self.clear()
        if refit:
            for column in self.columns.values():
                if column.auto_width:
                    column.content_width = column.label.cell_len
        for key, cells in rows:
            self.add_row(*cells, key=str(key))
        if not rows:
            return
        if keep is not None and str(keep) in self.rows:
            index = self.get_row_index(str(keep))
        self.move_cursor(row=min(max(index, 0), len(rows) - 1), animate=False)

    def append(self, rows: Sequence[tuple[int, Sequence[Text | str]]]) -> None:
        """Add rows at the end (paging) without moving the cursor."""
        for key, cells in rows:
            self.add_row(*cells, key=str(key))
