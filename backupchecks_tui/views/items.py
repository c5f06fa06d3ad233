"""Tickets and Remarks as the screens see them: what they cover, lists, details."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from backupchecks_tui.domain import TicketSource, TicketState


@dataclass(frozen=True)
class ScopeSpec:
    """What to cover: a customer, a job, or an object name together with its job."""

    customer_id: int | None = None
    job_id: int | None = None
    object_name: str = ""

    @classmethod
    def customer(cls, customer_id: int) -> ScopeSpec:
        """A scope covering every job of a customer."""
        return cls(customer_id=customer_id)

    @classmethod
    def job(cls, job_id: int) -> ScopeSpec:
        """A scope covering one job."""
        return cls(job_id=job_id)

    @classmethod
    def object(cls, job_id: int, name: str) -> ScopeSpec:
        """A scope covering one object (VM, host, mailbox…) of a job."""
        return cls(job_id=job_id, object_name=name)


ScopeKind = Literal["customer", "job", "object"]
StateFilter = Literal["active", "resolved", "all"]
"""The lists' state filter: what is still followed up, what is closed, or both."""


@dataclass(frozen=True)
class ScopeView:
    """A scope with the names people know it by."""

    kind: ScopeKind
    customer_id: int | None
    job_id: int | None
    object_name: str
    customer: str
    job: str
    product: str

    @property
    def label(self) -> str:
        """One short line: the customer, customer / job, or the object on customer / job.

        Job names repeat across customers ("Offsite Copy", "backup"), so a job is always
        named with its customer."""
        if self.kind == "customer":
            return self.customer
        job = f"{self.customer} / {self.job}" if self.customer else self.job
        return job if self.kind == "job" else f"{self.object_name} on {job}"


@dataclass(frozen=True)
class ScopeChoice:
    """A customer or job a new ticket or remark can cover, with the name people know."""

    spec: ScopeSpec
    label: str


@dataclass(frozen=True)
class RunInfo:
    """A run as tickets show it: job, customer, status and day."""

    run_id: int
    job_id: int
    job: str
    customer: str
    product: str
    status: str
    run_day: date
    started_at: datetime | None


@dataclass(frozen=True)
class LinkedRun(RunInfo):
    """A run linked to a ticket or remark (kind: linked | reprocessed)."""

    kind: str
    linked_at: datetime
    linked_by: str


@dataclass(frozen=True)
class TimelineEntry:
    """One event in the life of a ticket or remark, with a sentence for people."""

    at: datetime
    actor: str
    kind: str
    summary: str
    details: Mapping[str, Any]


@dataclass(frozen=True)
class TicketView:
    """A ticket's own fields (state as of now: an expired hold reads as in progress)."""

    id: int
    number: int
    code: str
    title: str
    description: str
    state: TicketState
    on_hold_until: datetime | None
    active_from: datetime
    created_at: datetime
    created_by: str
    source: TicketSource
    closed_at: datetime | None
    closed_by: str
    close_category: str
    close_outcome: str
    merged_into_id: int | None
    merged_into_number: int | None

    @property
    def label(self) -> str:
        """`#N`, how people name a ticket."""
        return f"#{self.number}"

    @property
    def active(self) -> bool:
        """Whether someone still works on it (not resolved, not merged)."""
        return TicketState(self.state).active


@dataclass(frozen=True)
class TicketRow(TicketView):
    """A ticket in a list, with its scopes in one line."""

    scope_summary: str


@dataclass(frozen=True)
class TicketDetail:
    """Everything the detail view shows: fields, scopes, runs, timeline (newest last)."""

    ticket: TicketView
    scopes: tuple[ScopeView, ...]
    runs: tuple[LinkedRun, ...]
    timeline: tuple[TimelineEntry, ...]
    merged_from: tuple[int, ...]


@dataclass(frozen=True)
class RemarkView:
    """A remark's own fields; `state` is "active" or "resolved"."""

    id: int
    body: str
    created_at: datetime
    created_by: str
    resolved_at: datetime | None
    resolved_by: str

    @property
    def state(self) -> str:
        """ "active" until resolved, then "resolved"."""
        return "active" if self.resolved_at is None else "resolved"

    @property
    def active(self) -> bool:
        """Whether the remark still covers its scopes."""
        return self.resolved_at is None

    @property
    def summary(self) -> str:
        """The first non-empty line of the body, for lists and pickers."""
        return next((line.strip() for line in self.body.splitlines() if line.strip()), "")


@dataclass(frozen=True)
class RemarkRow(RemarkView):
    """A remark in a list, with its scopes in one line."""

    scope_summary: str


@dataclass(frozen=True)
class RemarkDetail:
    """Everything a remark's detail view shows (timeline newest last)."""

    remark: RemarkView
    scopes: tuple[ScopeView, ...]
    runs: tuple[LinkedRun, ...]
    timeline: tuple[TimelineEntry, ...]


@dataclass(frozen=True)
class TicketList:
    """A Tickets list as loaded: the rows and the linked-run count of each."""

    rows: tuple[TicketRow, ...]
    run_counts: Mapping[int, int]
