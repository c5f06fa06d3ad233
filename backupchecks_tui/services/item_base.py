"""What tickets and remarks share below their scopes, links and timeline: the owner of
a scope, run link or event, the errors they raise, the clock and text matching (no Textual)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, func
from sqlmodel import col

from backupchecks_tui.domain import ItemKind
from backupchecks_tui.errors import BackupChecksError
from store.types import utcnow

SYSTEM = "system"
"""The actor of automatic changes (a hold whose date passed)."""
OwnerKind = ItemKind | Literal["ticket", "remark"]


class InvalidInput(BackupChecksError):
    """A ticket or remark was given something it cannot take (empty title, bad scope…)."""

    title = "Not saved"


class TransitionRefused(BackupChecksError):
    """The ticket or remark is in a state that does not allow the action."""

    title = "Not possible"


# ---------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Owner:
    """The ticket or remark that scopes, run links and timeline events belong to."""

    kind: OwnerKind
    id: int

    def column(self, model: Any) -> Any:
        """The owner column (`ticket_id` / `remark_id`) of `model`."""
        return col(getattr(model, f"{self.kind}_id"))

    def key(self) -> dict[str, Any]:
        """Keyword arguments naming the owner on a new Scope, RunLink or TimelineEvent."""
        return {f"{self.kind}_id": self.id}


# ---------------------------------------------------------------------------- shared helpers


def clock(now: datetime | None) -> datetime:
    """`now`, or the current time; naive datetimes are a programming error."""
    if now is None:
        return utcnow()
    if now.tzinfo is None:
        msg = f"naive datetime {now!r}: every datetime here is timezone-aware"
        raise ValueError(msg)
    return now


def like_pattern(text: str) -> str:
    """A LIKE pattern finding `text` anywhere, case-folded, with wildcards escaped."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def text_like(column: Any, text: str) -> ColumnElement[bool]:
    """Case-insensitive 'contains `text`' on `column` (portable: lower() + LIKE)."""
    result: ColumnElement[bool] = func.lower(column).like(like_pattern(text), escape="\\")
    return result
