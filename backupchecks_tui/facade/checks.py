"""The checks part of the facade (see `backupchecks_tui.api.checks`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from backupchecks_tui.domain import (
    PROBLEM_STATUSES,
    ItemKind,
    MatchStatus,
    OverrideScope,
    RunStatus,
)
from backupchecks_tui.facade.base import Bound
from backupchecks_tui.services import (
    checks,
    coverage,
    customers,
    follow_up,
    overrides,
    remarks,
    review,
    tickets,
)
from backupchecks_tui.views.checks import (
    CoverItem,
    LinkOutcome,
    QueueFilter,
    QueuePage,
    ReviewReceipt,
    RunCover,
    RunDetail,
    RunDraft,
    RunRow,
    TicketChoice,
)
from backupchecks_tui.views.items import ScopeSpec
from backupchecks_tui.views.overrides import DraftObject, OverrideDraft, OverrideSpec


class ChecksFacade(Bound):
    """The checks services, bound to the workspace."""

    # ------------------------------------------------------------------ reading
    def load_queue(self, flt: QueueFilter, limit: int = 0, offset: int = 0) -> QueuePage:
        """A page of the queue with its markers, in one worker round."""
        page = checks.load_queue(self.engine, flt, limit=limit, offset=offset)
        if not page.rows:
            return page
        marks = coverage.markers(self.engine, [r.job_id for r in page.rows])
        rows = tuple(
            replace(r, ticket=marks[r.job_id][0], remark=marks[r.job_id][1])
            if r.job_id in marks
            else r
            for r in page.rows
        )
        return replace(page, rows=rows)

    def queue_runs(self, job_id: int, *, include_reviewed: bool) -> list[RunRow]:
        """The job's newest runs."""
        return checks.job_runs(self.engine, job_id, include_reviewed=include_reviewed)

    def run_detail(self, run_id: int) -> RunDetail:
        """One run in detail."""
        return checks.run_detail(self.engine, run_id)

    def run_cover(self, run_id: int) -> RunCover:
        """One run in detail and what covers it."""
        # what covers a run is judged on the wall clock, as the 🎫/💬 markers are: a ticket
        # opened now is active now, also in the demo (whose clock stops on its Monday)
        detail, covers = checks.run_with_cover(self.engine, run_id)
        return RunCover(run_id, detail, tuple(covers))

    def covering_run(self, run_id: int) -> list[CoverItem]:
        """The active tickets and remarks covering the run."""
        return coverage.covering(self.engine, run_id)

    def successful_jobs(self, flt: QueueFilter) -> dict[int, int]:
        """Jobs of the queue whose runs all succeeded, with their newest run."""
        page = checks.load_queue(self.engine, replace(flt, statuses=frozenset()))
        return {r.job_id: r.max_run_id for r in page.rows if r.worst is RunStatus.SUCCESS}

    # ------------------------------------------------------------------ review
    def review_jobs(self, seen: dict[int, int]) -> ReviewReceipt:
        """Review the jobs as the acting operator."""
        return review.review_jobs(self.engine, self.actor, seen)

    def undo_review(self, receipt: ReviewReceipt) -> int:
        """Undo a review."""
        return review.undo_review(self.engine, self.actor, receipt)

    def unmark_job(self, job_id: int) -> int:
        """Admin: unmark the job's last review."""
        return review.unmark_job(self.engine, self.actor, job_id)

    def mark_success(self, run_id: int) -> None:
        """Mark the run as success."""
        overrides.mark_success(self.engine, self.actor, run_id)

    # ------------------------------------------------------------------ jobs, mail
    def customer_suggestion(self, job_id: int) -> str:
        """The suggested customer of the job."""
        return customers.suggestion_for(self.engine, job_id)

    def assign_customer(self, job_id: int, customer: str) -> str:
        """Map the job's sender to `customer`."""
        return customers.assign_job(self.engine, self.actor, job_id, customer)

    def export_run_mail(self, run_id: int, path: str) -> int:
        """Export the run's original mail."""
        return checks.export_run_mail(self.engine, run_id, Path(path))

    # ------------------------------------------------------------------ follow-up
    def draft_for_run(self, run_id: int) -> RunDraft:
        """The prefilled ticket or remark for the run."""
        return follow_up.draft_for_run(self.engine, run_id)

    def tickets_for_link(self, job_id: int, text: str = "", limit: int = 50) -> list[TicketChoice]:
        """The link picker's tickets."""
        return [
            TicketChoice(row.id, row.label, row.code, row.title, row.scope_summary)
            for row in coverage.find_for_link(self.engine, job_id, text, limit=limit)
        ]

    def link_run_to_ticket(self, ticket_id: int, run_id: int, job_id: int) -> LinkOutcome:
        """Link the run; whether the ticket covers its job."""
        view = tickets.link_run(self.engine, self.actor, ticket_id, run_id)
        covers = tickets.covers_job(self.engine, ItemKind.TICKET, view.id, job_id)
        return LinkOutcome(view.id, view.label, bool(view.active), covers)

    def add_job_to_ticket(self, ticket_id: int, job_id: int) -> None:
        """Let the ticket cover the job."""
        tickets.add_scope(self.engine, self.actor, ticket_id, ScopeSpec.job(job_id))

    def create_for_run(
        self,
        kind: ItemKind,
        run_id: int,
        *,
        title: str,
        code: str,
        text: str,
        scopes: Sequence[ScopeSpec],
    ) -> str:
        """A ticket or remark with the run linked."""
        if kind == ItemKind.TICKET:
            ticket = tickets.open_ticket(
                self.engine,
                self.actor,
                title,
                code=code,
                description=text,
                scopes=scopes,
                run_ids=[run_id],
            )
            return f"Ticket {ticket.label}"
        remark = remarks.add_remark(self.engine, self.actor, text, scopes, run_ids=[run_id])
        return f"Remark {remark.id}"

    # ------------------------------------------------------------------ overrides
    def override_draft_for_run(self, run_id: int) -> OverrideDraft:
        """A job override for the run's first problem object (or its own verdict)."""
        detail = checks.run_detail(self.engine, run_id)
        problems = tuple(
            DraftObject(o.name, o.status, o.message)
            for o in detail.objects
            if o.status is not RunStatus.SUCCESS
        )
        first = problems[0] if problems else None
        reported = detail.run.reported_status
        return OverrideDraft(
            run_id=run_id,
            job_id=detail.job_id,
            reported_status=reported,
            problems=problems,
            scope=OverrideScope.JOB,
            match_status=MatchStatus(reported) if reported in PROBLEM_STATUSES else MatchStatus.ANY,
            object_name=first.name if first else "",
            text_pattern=first.message if first else "",
        )

    def override_preview(self, spec: OverrideSpec, run_id: int) -> list[str]:
        """What the spec covers in the run."""
        return overrides.preview(self.engine, spec, run_id)

    def validate_override(self, spec: OverrideSpec) -> None:
        """Refuse a spec that cannot be saved."""
        if spec.scope != OverrideScope.RUN:
            overrides.validate(spec, datetime.now(UTC))

    def create_override(self, spec: OverrideSpec) -> int:
        """Save the override."""
        rule = overrides.create_override(self.engine, self.actor, spec)
        assert rule.id is not None
        return rule.id

    def count_retroactive(self, override_id: int) -> int:
        """Unreviewed runs the override would change."""
        return overrides.count_retroactive(self.engine, override_id)

    def apply_retroactive(self, override_id: int) -> int:
        """Apply the override to the unreviewed runs it covers."""
        return overrides.apply_retroactive(self.engine, self.actor, override_id)
