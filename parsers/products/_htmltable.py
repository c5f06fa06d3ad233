"""Tolerant table extraction from report HTML (and tab/pipe text) for product parsers.

Report mails nest tables, get re-rendered by Outlook/OWA (class names gain an `x_`
prefix), close `<td>` with `</th>` and pad cells with `&nbsp;`. `tables()` flattens
every `<table>` into rows of `Cell`s holding only that table's own text (a nested
table is a table of its own), so callers can look for header rows and label/value
pairs without caring about the markup. `text_table()` builds the same shape from a
plain-text rendering, so one parser can read an HTML and a text body alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from selectolax.lexbor import LexborHTMLParser, LexborNode

_SECTIONS = frozenset({"thead", "tbody", "tfoot"})
_CELLS = frozenset({"td", "th"})
_LINE_BREAKS = frozenset({"br", "div", "p", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"})
_SKIP = frozenset({"style", "script", "head", "title"})


@dataclass(frozen=True, slots=True)
class Cell:
    """One table cell: its text (whitespace folded) and a little of its markup."""

    lines: tuple[str, ...]
    classes: frozenset[str] = frozenset()
    header: bool = False
    colspan: int = 1

    @property
    def text(self) -> str:
        """The cell's lines joined with single spaces."""
        return " ".join(self.lines)

    @property
    def first(self) -> str:
        """The cell's first line ('' when empty)."""
        return self.lines[0] if self.lines else ""


Row = tuple[Cell, ...]


@dataclass(frozen=True, slots=True)
class Table:
    """The own rows of one table (rows of nested tables belong to those tables)."""

    rows: tuple[Row, ...]
    classes: frozenset[str] = frozenset()


def clean(text: str) -> str:
    """`text` with non-breaking and repeated whitespace folded into single spaces."""
    return " ".join(text.replace("\u00a0", " ").replace("\u200b", "").split())


def normalize_class(name: str) -> str:
    """A class name without the `x_` / `_` prefixes Outlook and OWA add, lowercased."""
    name = name.lower()
    while name.startswith(("x_", "_")):
        name = name[2:] if name.startswith("x_") else name[1:]
    return name


def _classes(attributes: Mapping[str, str | None]) -> frozenset[str]:
    """The normalised class names of an element."""
    raw = attributes.get("class") or ""
    return frozenset(normalize_class(c) for c in raw.split()) if raw else frozenset()


def _colspan(attributes: Mapping[str, str | None]) -> int:
    """The element's colspan (1 when absent or unreadable)."""
    raw = (attributes.get("colspan") or "1").strip()
    return int(raw) if raw.isdigit() and raw != "0" else 1


def _cell_text(node: LexborNode, out: list[str]) -> None:
    """Append the text of `node`'s subtree to `out`, skipping nested tables."""
    child = node.child
    while child is not None:
        tag = child.tag or ""
        if tag == "-text":
            out.append(child.text_content or "")
        elif tag == "table" or tag in _SKIP or tag.startswith(("-", "_", "!")):
            pass
        else:
            if tag in _LINE_BREAKS:
                out.append("\n")
            _cell_text(child, out)
            if tag in _LINE_BREAKS and tag != "br":
                out.append("\n")
        child = child.next


def _make_cell(node: LexborNode, slow: frozenset[int]) -> Cell:
    """A Cell from a td/th node (`slow` cells are walked for line breaks)."""
    if node.mem_id in slow:
        parts: list[str] = []
        _cell_text(node, parts)
        lines = tuple(line for line in (clean(x) for x in "".join(parts).split("\n")) if line)
    else:
        text = clean(node.text(deep=True))
        lines = (text,) if text else ()
    attributes = node.attributes
    return Cell(lines, _classes(attributes), node.tag == "th", _colspan(attributes))


def _slow_cells(tree: LexborHTMLParser) -> frozenset[int]:
    """Cells that hold line breaks, blocks or nested tables (the rest read in one call)."""
    marked: set[int] = set()
    for node in tree.css("br, div, p, li, table, h1, h2, h3, h4, h5, h6, style, script"):
        parent = node.parent
        while parent is not None and parent.tag not in _CELLS:
            parent = parent.parent
        if parent is not None:
            marked.add(parent.mem_id)
    return frozenset(marked)


def _rows_of(table: LexborNode) -> list[LexborNode]:
    """The own rows of a table node (directly or in thead/tbody/tfoot)."""
    rows: list[LexborNode] = []
    child = table.child
    while child is not None:
        if child.tag == "tr":
            rows.append(child)
        elif child.tag in _SECTIONS:
            rows.extend(r for r in _children(child) if r.tag == "tr")
        child = child.next
    return rows


def _children(node: LexborNode) -> list[LexborNode]:
    """The direct children of `node`, text nodes included."""
    out: list[LexborNode] = []
    child = node.child
    while child is not None:
        out.append(child)
        child = child.next
    return out


def _table(node: LexborNode, slow: frozenset[int]) -> Table:
    """A Table from a table node."""
    rows = tuple(
        tuple(_make_cell(c, slow) for c in _children(tr) if c.tag in _CELLS)
        for tr in _rows_of(node)
    )
    return Table(tuple(r for r in rows if r), _classes(node.attributes))


def tables(tree: LexborHTMLParser) -> list[Table]:
    """Every table of `tree` in document order, each with only its own rows."""
    slow = _slow_cells(tree)
    return [_table(node, slow) for node in tree.css("table")]


def text_table(text: str) -> Table:
    """A pseudo-table from text: one row a line, cells split on tabs or ' | '."""
    rows: list[Row] = []
    for line in text.splitlines():
        sep = "\t" if "\t" in line else " | "
        cells = tuple(Cell((clean(p),)) if clean(p) else Cell(()) for p in line.split(sep))
        if any(c.lines for c in cells):
            rows.append(cells)
    return Table(tuple(rows))


def key(text: str) -> str:
    """A label reduced for lookup: folded whitespace, lowercase, no trailing colon."""
    return clean(text).lower().rstrip(":").strip()


def alias_index(aliases: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """Invert `{field: [label, …]}` into `{key(label): field}`."""
    return {key(label): name for name, labels in aliases.items() for label in labels}


@dataclass(frozen=True, slots=True)
class Records:
    """Data rows under a recognised header row: `rows[i][field]` is a cell."""

    table: Table
    header_at: int
    rows: tuple[dict[str, Cell], ...]


def header_columns(row: Row, index: Mapping[str, str]) -> dict[str, int]:
    """The fields named by the cells of `row` (first column wins), by column number."""
    columns: dict[str, int] = {}
    for i, cell in enumerate(row):
        name = index.get(key(cell.text))
        if name is not None and name not in columns:
            columns[name] = i
    return columns


def records(
    candidates: Sequence[Table], index: Mapping[str, str], required: Iterable[str]
) -> Records | None:
    """The data rows of the first table with a header row naming all `required` fields."""
    need = frozenset(required)
    for table in candidates:
        for at, row in enumerate(table.rows):
            columns = header_columns(row, index)
            if need <= columns.keys():
                return Records(table, at, _data_rows(table.rows[at + 1 :], columns))
    return None


def _data_rows(rows: Iterable[Row], columns: Mapping[str, int]) -> tuple[dict[str, Cell], ...]:
    """The rows under a header as field → cell mappings (blank rows skipped)."""
    width = max(columns.values()) + 1
    out: list[dict[str, Cell]] = []
    for row in rows:
        if len(row) < min(width, 2) or all(not c.lines for c in row):
            continue
        out.append({name: row[i] if i < len(row) else Cell(()) for name, i in columns.items()})
    return tuple(out)


def label_values(rows: Iterable[Row], index: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """Label → value pairs of grid rows (`Label | value | Label | value …`) and the rest.

    The first value seen for a field wins. The second result holds the text of the other
    non-empty cells of rows that had at least one pair (a job-level note, say).
    """
    found: dict[str, str] = {}
    leftovers: list[str] = []
    for row in rows:
        pairs, rest = _row_pairs(row, index)
        if not pairs:
            continue
        for name, value in pairs:
            found.setdefault(name, value)
        leftovers.extend(rest)
    return found, leftovers


def _row_pairs(row: Row, index: Mapping[str, str]) -> tuple[list[tuple[str, str]], list[str]]:
    """The label/value pairs of one row and its other non-empty cells."""
    labelled = [index.get(key(c.text)) for c in row]
    pairs: list[tuple[str, str]] = []
    rest: list[str] = []
    i = 0
    while i < len(row):
        name = labelled[i]
        if name is not None and i + 1 < len(row) and labelled[i + 1] is None:
            pairs.append((name, row[i + 1].text))
            i += 2
            continue
        if name is None and row[i].lines:
            rest.append("\n".join(row[i].lines))
        i += 1
    return pairs, rest


def all_rows(candidates: Iterable[Table], skip: Records | None = None) -> list[Row]:
    """The rows of `candidates` in order, without the header and data rows of `skip`."""
    out: list[Row] = []
    for table in candidates:
        if skip is not None and table is skip.table:
            out.extend(table.rows[: skip.header_at])
        else:
            out.extend(table.rows)
    return out


def colon_table(text: str) -> Table:
    """A two-column pseudo-table from `Label: value` lines (other lines are left out)."""
    rows: list[Row] = []
    for line in text.splitlines():
        label, sep, value = line.partition(":")
        if sep and clean(label) and len(label) <= 60 and clean(value):
            rows.append((Cell((clean(label),)), Cell((clean(value),))))
    return Table(tuple(rows))
