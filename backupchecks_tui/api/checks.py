"""Run Checks: the queue, a job's runs and a run, review, mark as success, follow-up."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from backupchecks_tui.domain import ItemKind
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
from backupchecks_tui.views.overrides import OverrideDraft, OverrideSpec


class ChecksApi(Protocol):
    """The checks part of the facade."""

    # ------------------------------------------------------------------ reading
    def load_queue(self, flt: QueueFilter, limit: int = 0, offset: int = 0) -> QueuePage:
        """A page of the queue (one row per job, ticket/remark markers filled) and totals."""
        ...

    def queue_runs(self, job_id: int, *, include_reviewed: bool) -> list[RunRow]:
        """The job's newest runs (unreviewed only unless asked), newest first."""
        ...

    def run_detail(self, run_id: int) -> RunDetail:
        """One run: objects (problems first), mail metadata and body."""
        ...

    def run_cover(self, run_id: int) -> RunCover:
        """One run in detail with the active tickets and remarks covering it."""
        ...

    def covering_run(self, run_id: int) -> list[CoverItem]:
        """The active tickets and remarks covering a run."""
        ...

    def successful_jobs(self, flt: QueueFilter) -> dict[int, int]:
        """{job id: newest run id} of the queue's jobs (under `flt`, any status) whose runs
        all succeeded."""
        ...

    # ------------------------------------------------------------------ review
    def review_jobs(self, seen: dict[int, int]) -> ReviewReceipt:
        """Mark the jobs' unreviewed runs reviewed, each up to the newest run seen."""
        ...

    def undo_review(self, receipt: ReviewReceipt) -> int:
        """Put a review back; how many runs came back into the queue."""
        ...

    def unmark_job(self, job_id: int) -> int:
        """Admin: put the job's last review back; how many runs."""
        ...

    def mark_success(self, run_id: int) -> None:
        """Mark a warning or failed run as success (audited)."""
        ...

    # ------------------------------------------------------------------ jobs, mail
    def customer_suggestion(self, job_id: int) -> str:
        """The customer name suggested for the job."""
        ...

    def assign_customer(self, job_id: int, customer: str) -> str:
        """Put the job (and its sender's unassigned jobs) under `customer`; the rule."""
        ...

    def export_run_mail(self, run_id: int, path: str) -> int:
        """Write the run's original mail to `path`; the bytes written."""
        ...

    # ------------------------------------------------------------------ follow-up
    def draft_for_run(self, run_id: int) -> RunDraft:
        """What a ticket or remark opened for the run starts with."""
        ...

    def tickets_for_link(self, job_id: int, text: str = "", limit: int = 50) -> list[TicketChoice]:
        """Active tickets to link a run of the job to: the job's first, then its customer's."""
        ...

    def link_run_to_ticket(self, ticket_id: int, run_id: int, job_id: int) -> LinkOutcome:
        """Link the run to the ticket; says whether the ticket already covers the job."""
        ...

    def add_job_to_ticket(self, ticket_id: int, job_id: int) -> None:
        """Let the ticket cover the whole job from now on."""
        ...

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
        """Open a ticket or add a remark with the run linked; its label ("Ticket #3")."""
        ...

    # ------------------------------------------------------------------ overrides
    def override_draft_for_run(self, run_id: int) -> OverrideDraft:
        """The override dialog's proposal for the run's first problem (scope: its job)."""
        ...

    def override_preview(self, spec: OverrideSpec, run_id: int) -> list[str]:
        """What `spec` covers in the run (the dialog's live preview); a bad regex raises."""
        ...

    def validate_override(self, spec: OverrideSpec) -> None:
        """Raise OverrideError when `spec` cannot be saved as it is."""
        ...

    def create_override(self, spec: OverrideSpec) -> int:
        """Save a new override in force from now; its id."""
        ...

    def count_retroactive(self, override_id: int) -> int:
        """How many unreviewed runs the saved override would turn into success now."""
        ...

    def apply_retroactive(self, override_id: int) -> int:
        """Apply the saved override to the unreviewed runs it covers; runs changed."""
        ...
