"""The app-wide part of the facade (see `backupchecks_tui.api.app`)."""

from __future__ import annotations

from datetime import date, datetime
from functools import cached_property

from backupchecks_tui.api.app import FetchProgress
from backupchecks_tui.facade.base import Bound
from backupchecks_tui.ingest import service
from backupchecks_tui.roles import Action
from backupchecks_tui.services import audit_log, coverage, missed
from backupchecks_tui.views.app import AuditEntry, FetchSummary, SessionInfo


class AppFacade(Bound):
    """Session, status line, fetch, Missed detection, markers, audit."""

    @cached_property
    def session(self) -> SessionInfo:
        """Who works on which database."""
        ws = self.workspace
        return SessionInfo(
            actor=ws.actor,
            zone=ws.config.ui.zone,
            database_label=ws.database_label,
            ascii_only=ws.ascii_only,
            demo=ws.demo,
            can_fetch=(
                not ws.demo and service.imap_configured(ws.config) and ws.actor.can(Action.INGEST)
            ),
            fetch_interval_minutes=ws.config.imap.fetch_interval_minutes,
        )

    def now(self) -> datetime:
        """The current moment (the demo's morning in the demo)."""
        return self.workspace.now()

    def today(self) -> date:
        """Today in the operator's time zone."""
        return self.now().astimezone(self.workspace.config.ui.zone).date()

    def last_fetch(self) -> str:
        """When mail was last fetched, or a word saying never / demo."""
        return self.workspace.last_fetch()

    def fetch(self, progress: FetchProgress | None = None) -> FetchSummary:
        """One IMAP pass into the database, then the Missed detection."""
        ws = self.workspace
        outcome = service.fetch(ws.config, ws.engine, ws.actor, progress)
        stats = outcome.stats
        return FetchSummary(
            new=stats.new,
            parsed=stats.parsed,
            unparsed=stats.unparsed,
            errors=stats.errors + stats.failed,
            missed=outcome.missed,
            warnings=tuple(outcome.warnings),
        )

    def detect_missed(self) -> int:
        """Missed runs for expected reports that never came; none for a Viewer, whose
        PostgreSQL login may not write them (others' apps do)."""
        if not self.actor.can(Action.INGEST):
            return 0
        return len(missed.detect(self.engine, self.workspace.config.ui.zone, self.now()))

    def markers(self, job_ids: list[int]) -> dict[int, tuple[bool, bool]]:
        """(ticket, remark) markers of jobs covered by an active ticket or remark."""
        if not job_ids:
            return {}
        return coverage.markers(self.engine, job_ids)

    def audit_log(self, limit: int = 500) -> list[AuditEntry]:
        """Admin: every audited action, newest first, in words."""
        return audit_log.audit_log(self.engine, self.actor, limit)
