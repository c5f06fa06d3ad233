"""The domain vocabulary: the words every layer above `parsers/` and `store/` uses.

Each is a `StrEnum` whose values are what the database stores, so a value read from a row
compares equal to its member (`row.status == RunStatus.FAILED`) and a member can be
written where a string column is expected. Screens and services name these members; they
never compare bare strings. Stdlib only: the screens import this module.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable


class RunStatus(enum.StrEnum):
    """The effective status of a run (or of one of its objects)."""

    SUCCESS = "success"
    WARNING = "warning"
    FAILED = "failed"
    MISSED = "missed"

    @property
    def rank(self) -> int:
        """Severity: 0 success … 3 missed; the queue shows the worst first."""
        return _RUN_RANK[self]

    @property
    def label(self) -> str:
        """The word shown to people: 'Failed'."""
        return self.value.capitalize()

    @property
    def is_problem(self) -> bool:
        """Whether the run needs a look (anything but success)."""
        return self is not RunStatus.SUCCESS

    @classmethod
    def of(cls, value: str) -> RunStatus:
        """The member for a stored value; an unknown value counts as a warning (fail safe:
        never as a success)."""
        try:
            return cls(value)
        except ValueError:
            return cls.WARNING

    @classmethod
    def by_rank(cls, rank: int) -> RunStatus:
        """The member of severity `rank` (the queue aggregates ranks in SQL)."""
        return _BY_RANK.get(rank, cls.WARNING)

    @classmethod
    def worst(cls, statuses: Iterable[str]) -> RunStatus:
        """The worst of `statuses`; success for none."""
        return max((cls.of(s) for s in statuses), key=_RUN_RANK.__getitem__, default=cls.SUCCESS)

    @classmethod
    def ranks(cls) -> dict[str, int]:
        """{stored value: rank}, for SQL that sorts by severity."""
        return {member.value: rank for member, rank in _RUN_RANK.items()}


_RUN_RANK: dict[RunStatus, int] = {
    RunStatus.SUCCESS: 0,
    RunStatus.WARNING: 1,
    RunStatus.FAILED: 2,
    RunStatus.MISSED: 3,
}
_BY_RANK: dict[int, RunStatus] = {rank: member for member, rank in _RUN_RANK.items()}

PROBLEM_STATUSES = frozenset({RunStatus.WARNING, RunStatus.FAILED})
"""What a person can mark as success or cover with an override (a Missed run has no report
to judge)."""


class MatchStatus(enum.StrEnum):
    """Which reported statuses an override turns into success."""

    WARNING = "warning"
    FAILED = "failed"
    ANY = "any"


class OverrideScope(enum.StrEnum):
    """What an override covers: one run, one job, or every job."""

    RUN = "run"
    JOB = "job"
    ALL = "all"

    @property
    def rank(self) -> int:
        """Specificity: a run's own override beats its job's, which beats all jobs'."""
        return {OverrideScope.RUN: 2, OverrideScope.JOB: 1, OverrideScope.ALL: 0}[self]


class TextMatch(enum.StrEnum):
    """How an override's text is compared with an object's or run's message."""

    CONTAINS = "contains"
    EXACT = "exact"
    STARTS = "starts"
    ENDS = "ends"
    REGEX = "regex"


class TicketState(enum.StrEnum):
    """Open → In progress ⇄ On hold → Resolved (reopen); Merged into another ticket."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    ON_HOLD = "on_hold"
    RESOLVED = "resolved"
    MERGED = "merged"

    @property
    def active(self) -> bool:
        """Whether the ticket still covers its scopes (open, in progress, on hold)."""
        return self in ACTIVE_TICKET_STATES

    @property
    def label(self) -> str:
        """The words shown to people: 'In progress'."""
        return self.value.replace("_", " ").capitalize()


ACTIVE_TICKET_STATES = frozenset({TicketState.OPEN, TicketState.IN_PROGRESS, TicketState.ON_HOLD})
CLOSED_TICKET_STATES = frozenset({TicketState.RESOLVED, TicketState.MERGED})


class TicketSource(enum.StrEnum):
    """Who opened a ticket: a person, the automation, or the PSA."""

    USER = "user"
    AUTOMATION = "automation"
    PSA = "psa"


class TicketOutcome(enum.StrEnum):
    """How a resolved ticket ended for the data."""

    FALSE_ALARM = "false_alarm"
    DATA_LOST = "data_lost"
    REPROCESSED = "reprocessed"


class LinkKind(enum.StrEnum):
    """How a run is tied to a ticket or remark."""

    LINKED = "linked"
    REPROCESSED = "reprocessed"


class ItemKind(enum.StrEnum):
    """The two kinds of follow-up item, which share scopes, run links and a timeline."""

    TICKET = "ticket"
    REMARK = "remark"


class ParseState(enum.StrEnum):
    """What ingest made of a stored mail."""

    PARSED = "parsed"
    UNPARSED = "unparsed"
    IGNORED = "ignored"
    ERROR = "error"


class Changed(enum.Flag):
    """What a change touched, carried by the app's "data changed" signal."""

    RUNS = enum.auto()
    """Runs reviewed, unmarked, marked, fetched, Missed: the queue and the grid."""
    TICKETS = enum.auto()
    REMARKS = enum.auto()
    OVERRIDES = enum.auto()
    MAIL = enum.auto()
    """New or re-parsed mail: the Inbox."""
    JOBS = enum.auto()
    """Customers, schedules, job settings."""
    EVERYTHING = RUNS | TICKETS | REMARKS | OVERRIDES | MAIL | JOBS
