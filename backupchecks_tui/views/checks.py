"""Run Checks as the screens see it: the queue, a job's runs, one run, follow-up choices."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime

from backupchecks_tui.domain import ItemKind, RunStatus
from backupchecks_tui.views.items import ScopeSpec


class QueueSort(enum.StrEnum):
    """The queue's order: worst first, by customer, or oldest first."""

    STATUS = "status"
    CUSTOMER = "customer"
    AGE = "age"

    def next(self) -> QueueSort:
        """The next order in the cycle (o)."""
        members = list(QueueSort)
        return members[(members.index(self) + 1) % len(members)]


@dataclass(frozen=True)
class QueueFilter:
    """What the queue shows: text filter, statuses, reviewed runs too, sort order."""

    text: str = ""
    statuses: frozenset[RunStatus] = frozenset()
    include_reviewed: bool = False
    sort: QueueSort = QueueSort.STATUS


@dataclass(frozen=True)
class QueueRow:
    """One job in the Run Checks queue, with its unreviewed runs aggregated (names raw)."""

    job_id: int
    customer: str
    job_name: str
    product: str
    job_type: str
    worst: RunStatus
    runs: int
    oldest_day: date
    newest_at: datetime | None
    max_run_id: int
    overrides: int
    ticket: bool = False
    """An active ticket covers the job."""
    remark: bool = False
    """An active remark covers the job."""

    @property
    def worst_status(self) -> RunStatus:
        """The worst status of the job's runs in the queue."""
        return self.worst

    @property
    def marks(self) -> tuple[bool, bool]:
        """(ticket, remark) markers."""
        return self.ticket, self.remark


@dataclass(frozen=True)
class QueuePage:
    """A page of the queue (with its markers) and the totals for the header."""

    rows: tuple[QueueRow, ...]
    jobs: int
    runs: int
    flt: QueueFilter = field(default_factory=QueueFilter)
    offset: int = 0


@dataclass(frozen=True)
class RunRow:
    """One run in a job's run list (message raw)."""

    id: int
    status: RunStatus
    reported_status: RunStatus
    run_day: date
    started_at: datetime | None
    ended_at: datetime | None
    object_count: int
    problem_count: int
    override_reason: str
    reviewed_by: str
    message: str

    @property
    def overridden(self) -> bool:
        """Whether an override (or mark-as-success) changed the run's status."""
        return self.status != self.reported_status


@dataclass(frozen=True)
class ObjectRow:
    """One object of a run (name and message raw)."""

    name: str
    type: str
    status: RunStatus
    message: str


@dataclass(frozen=True)
class RunDetail:
    """Everything the detail pane shows about one run (mail text still raw: clean it)."""

    run: RunRow
    job_id: int
    job_name: str
    customer: str
    product: str
    job_type: str
    size_bytes: int | None
    transferred_bytes: int | None
    objects: list[ObjectRow]
    override_text: str
    mail_id: int | None
    mail_from: str
    mail_subject: str
    mail_date: datetime | None
    parser: str
    body: str
    mail_note: str = ""
    """Something to know about the mail itself (a reused Message-ID), or empty."""


@dataclass(frozen=True)
class CoverItem:
    """A ticket or remark covering a job or run (number: None for remarks)."""

    kind: ItemKind
    id: int
    number: int | None
    title: str
    state: str
    linked: bool

    @property
    def label(self) -> str:
        """`#N` for a ticket, `R<id>` for a remark."""
        return f"#{self.number}" if self.kind == ItemKind.TICKET else f"R{self.id}"


@dataclass(frozen=True)
class RunCover:
    """The run shown in the detail pane, with the tickets and remarks covering it."""

    run_id: int
    detail: RunDetail
    covering: tuple[CoverItem, ...]


@dataclass(frozen=True)
class ScopeOption:
    """One way a ticket or remark opened from a run can cover it."""

    kind: str
    label: str
    scopes: tuple[ScopeSpec, ...]


@dataclass(frozen=True)
class RunDraft:
    """What a ticket or remark for one run starts with (text made safe by the service)."""

    run_id: int
    job_id: int
    job_name: str
    customer: str
    status: RunStatus
    run_day: date
    title: str
    description: str
    summary: str
    scope_options: tuple[ScopeOption, ...]
    problems: tuple[str, ...]


@dataclass(frozen=True)
class TicketChoice:
    """An active ticket in the link picker (title and code raw)."""

    id: int
    label: str
    code: str
    title: str
    scope_summary: str


@dataclass(frozen=True)
class LinkOutcome:
    """A run linked to a ticket: the ticket, and whether it already covers the run's job."""

    ticket_id: int
    label: str
    active: bool
    covers_job: bool


@dataclass(frozen=True)
class ReviewReceipt:
    """What one review did, enough to undo it."""

    run_ids: tuple[int, ...]
    job_ids: tuple[int, ...]
    at: datetime
    by: str


__all__ = [
    "CoverItem",
    "LinkOutcome",
    "ObjectRow",
    "QueueFilter",
    "QueuePage",
    "QueueRow",
    "QueueSort",
    "ReviewReceipt",
    "RunCover",
    "RunDetail",
    "RunDraft",
    "RunRow",
    "ScopeOption",
    "TicketChoice",
]
