"""Make a row's values storable in its table: text cut to its column, numbers in range.

Mail is hostile: a byte count of 2^64 overflows SQLite's and PostgreSQL's 64-bit integers,
a sender label longer than a varchar column fails the insert on PostgreSQL (SQLite does
not check lengths), a NUL or a lone surrogate cannot be written as text at all, a date in
9999 with a -14:00 offset has no UTC time. Any of
these used to fail the mail's transaction on every pass. `fit` changes such values in
place before they are written; the raw message is kept byte for byte elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import BigInteger, Integer, SmallInteger, String, Table
from sqlalchemy.types import TypeDecorator

_RANGES = {
    SmallInteger: (-(2**15), 2**15 - 1),
    BigInteger: (-(2**63), 2**63 - 1),
    Integer: (-(2**31), 2**31 - 1),
}


@dataclass(frozen=True)
class Dropped:
    """A value that did not fit its column: left out (NULL) or clamped to the limit."""

    column: str
    value: object
    stored: int | None

    @property
    def note(self) -> str:
        """One sentence for the run or mail it belonged to."""
        kept = "not stored" if self.stored is None else f"stored as {self.stored}"
        return f"{self.column} {self.value} is out of range ({kept})."


@dataclass(frozen=True)
class _Limits:
    lengths: dict[str, int]
    ranges: dict[str, tuple[int, int]]
    nullable: frozenset[str]


@cache
def _limits(table: Table) -> _Limits:
    lengths: dict[str, int] = {}
    ranges: dict[str, tuple[int, int]] = {}
    for column in table.columns:
        kind = column.type
        if isinstance(kind, TypeDecorator):  # e.g. SQLModel's AutoString: a VARCHAR inside
            kind = kind.impl_instance
        if isinstance(kind, String) and kind.length:
            lengths[column.name] = kind.length
        elif isinstance(kind, Integer):
            # the most specific class first: BigInteger and SmallInteger are Integers
            found = next(r for t, r in _RANGES.items() if isinstance(kind, t))
            ranges[column.name] = found
    nullable = frozenset(c.name for c in table.columns if c.nullable)
    return _Limits(lengths, ranges, nullable)


def text(value: str, length: int = 0) -> str:
    """`value` without NULs and lone surrogates, cut to `length` characters (0: no limit)."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value[:length] if length and len(value) > length else value


def fit(table: Table, values: dict[str, Any]) -> list[Dropped]:
    """Make `values` (column → value, changed in place) storable in `table`.

    Text is cleaned and cut to its column's length; an integer out of its column's range
    becomes NULL where the column allows it, else the nearest limit; a datetime without a
    UTC equivalent becomes NULL. Returns the numbers and times changed, so the caller can
    say so next to the data.
    """
    limits = _limits(table)
    dropped: list[Dropped] = []
    for name, value in values.items():
        if isinstance(value, str):
            values[name] = text(value, limits.lengths.get(name, 0))
        elif isinstance(value, datetime):
            if not _has_utc_time(value):
                values[name] = None
                dropped.append(Dropped(name, value, None))
        elif isinstance(value, int) and not isinstance(value, bool) and name in limits.ranges:
            low, high = limits.ranges[name]
            if low <= value <= high:
                continue
            stored = None if name in limits.nullable else max(low, min(high, value))
            values[name] = stored
            dropped.append(Dropped(name, value, stored))
    return dropped


def _has_utc_time(value: datetime) -> bool:
    if value.tzinfo is None:
        return True  # naive: refused by the column type itself, loudly (a bug, not mail)
    try:
        value.astimezone(UTC)
    except OverflowError:
        return False
    return True
