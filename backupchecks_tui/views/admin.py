"""What the admin screens show: overrides, the Inbox of unparsed mail, operators."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from backupchecks_tui.domain import OverrideScope, ParseState
from backupchecks_tui.roles import Role

OverrideState = Literal["active", "pending", "expired", "disabled"]
OverrideFilter = Literal["active", "expired", "all"]
"""In force or pending; ended or disabled; every override."""


@dataclass(frozen=True, slots=True)
class OverrideRow:
    """One override as the Overrides mode lists it (and as it is edited)."""

    id: int
    scope: str
    job_id: int | None
    job_name: str
    run_id: int | None
    match: str
    """What it matches, in words."""
    state: OverrideState
    valid_from: datetime
    valid_until: datetime | None
    created_by: str
    created_at: datetime
    reason: str
    source_run_id: int | None
    hit_count: int
    last_hit_at: datetime | None
    match_status: str = "any"
    object_name: str = ""
    text_match: str = "contains"
    text_pattern: str = ""

    @property
    def scope_text(self) -> str:
        """The scope in words: "run #12", "job NAME" or "all jobs"."""
        if self.scope == OverrideScope.RUN:
            return f"run #{self.run_id}"
        return f"job {self.job_name}" if self.scope == OverrideScope.JOB else "all jobs"

    @property
    def disabled(self) -> bool:
        """Switched off (enable brings it back)."""
        return self.state == "disabled"


INBOX_STATES = frozenset({ParseState.UNPARSED, ParseState.IGNORED, ParseState.ERROR})
"""The parse states of mail the Inbox lists."""


@dataclass(frozen=True, slots=True)
class InboxRow:
    """One mail in the Inbox list (mail-derived text still raw: screens clean it)."""

    id: int
    state: str
    sender: str
    subject: str
    sent_at: datetime | None
    reason: str
    parser: str


@dataclass(frozen=True, slots=True)
class InboxPage:
    """The newest Inbox mails matching a filter, and how many match in all."""

    rows: tuple[InboxRow, ...]
    total: int


@dataclass(frozen=True, slots=True)
class MailText:
    """One mail as a person reads it: main headers, then the body as text (still raw)."""

    id: int
    text: str


@dataclass(frozen=True, slots=True)
class ReparseOutcome:
    """What a re-parse made of the mails: {outcome: count}."""

    counts: tuple[tuple[str, int], ...]

    @property
    def words(self) -> str:
        """'2 parsed, 1 unparsed' (or 'nothing')."""
        return ", ".join(f"{n} {state}" for state, n in self.counts) or "nothing"


@dataclass(frozen=True, slots=True)
class OperatorView:
    """One registered operator."""

    id: int
    login: str
    role: Role
