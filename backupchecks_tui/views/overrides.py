"""What an operator asks of an override: the dialog's answer, and how long it lasts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, tzinfo
from typing import Literal

from backupchecks_tui.zones import system_zone

Duration = Literal["week", "month", "permanent"] | date
"""How long an override lasts: a week, a month, for good, or until a day."""


@dataclass(frozen=True)
class OverrideSpec:
    """What an operator asks for in the override dialog.

    `job_id` is needed for scope "job", `run_id` for scope "run"; a reason is required
    for scope "all". `zone` is the time zone an end date is counted in.
    """

    scope: str
    job_id: int | None = None
    run_id: int | None = None
    match_status: str = "any"
    object_name: str = ""
    text_match: str = "contains"
    text_pattern: str = ""
    duration: Duration = "permanent"
    reason: str = ""
    source_run_id: int | None = None
    zone: tzinfo = field(default_factory=system_zone)

    @property
    def pattern(self) -> str:
        """The text pattern; one of only blanks counts as none."""
        return self.text_pattern if self.text_pattern.strip() else ""


@dataclass(frozen=True)
class DraftObject:
    """One problem object of the run an override is drafted on (text still raw)."""

    name: str
    status: str
    message: str = ""


@dataclass(frozen=True)
class OverrideDraft:
    """What the override dialog starts from: the run it is drafted on (and previews
    against), and the fields' first values — a proposal for a new override, or an existing
    override being edited (`override_id`).

    `until` is an existing override's last day in force (None: permanent, or `duration`
    for a new one). Mail-derived text (object names, messages) is still raw.
    """

    run_id: int
    job_id: int | None
    reported_status: str = ""
    problems: tuple[DraftObject, ...] = ()
    scope: str = "job"
    match_status: str = "any"
    object_name: str = ""
    text_match: str = "contains"
    text_pattern: str = ""
    duration: Duration = "month"
    until: date | None = None
    reason: str = ""
    override_id: int | None = None

    @property
    def editing(self) -> bool:
        """Whether this edits a saved override (rather than proposing a new one)."""
        return self.override_id is not None
