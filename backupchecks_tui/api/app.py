"""What the app shell asks: the session, the status line, fetch, Missed runs, markers, audit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Protocol

from backupchecks_tui.views.app import AuditEntry, FetchSummary, SessionInfo

FetchProgress = Callable[[str, int, int], None]
"""(folder, done, total), called from the fetching thread."""


class AppApi(Protocol):
    """The app-wide part of the facade."""

    @property
    def session(self) -> SessionInfo:
        """Who works on which database (no I/O)."""
        ...

    def now(self) -> datetime:
        """The current moment: the demo's Monday morning in the demo (no I/O)."""
        ...

    def today(self) -> date:
        """Today in the operator's time zone (no I/O)."""
        ...

    def last_fetch(self) -> str:
        """When mail was last fetched (local time), or 'never' / 'demo data'."""
        ...

    def fetch(self, progress: FetchProgress | None = None) -> FetchSummary:
        """One IMAP pass, then the Missed detection; raises our errors."""
        ...

    def detect_missed(self) -> int:
        """Create the Missed runs now due (idempotent); how many were created."""
        ...

    def markers(self, job_ids: list[int]) -> dict[int, tuple[bool, bool]]:
        """(has an active ticket, has an active remark) per job id."""
        ...

    def audit_log(self, limit: int = 500) -> list[AuditEntry]:
        """Admin: every audited action, newest first."""
        ...
