"""What the app shell shows: who is working where, a fetch's outcome, the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from backupchecks_tui.roles import Actor


@dataclass(frozen=True)
class SessionInfo:
    """The acting operator and the database the app works on; fixed for the session."""

    actor: Actor
    zone: ZoneInfo
    database_label: str
    ascii_only: bool = False
    demo: bool = False
    can_fetch: bool = False
    """A mailbox is configured, this is not the demo and the operator may ingest."""
    fetch_interval_minutes: int = 0


@dataclass(frozen=True)
class FetchSummary:
    """The counts of one fetch pass and the warnings a person should see."""

    new: int
    parsed: int
    unparsed: int
    errors: int
    missed: int = 0
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuditEntry:
    """One audited action, newest first in the Audit view."""

    at: datetime
    actor: str
    action: str
    """What was done, in words ('Reviewed', 'Ticket resolved')."""
    entity: str
    entity_id: int | None
    details: str
    """The details in one line of `key: value` pairs."""
