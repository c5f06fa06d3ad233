"""The data a parser produces: reports, their objects, statuses and the outcome of a parse."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable

    from parsers.mailview import MailView


class Status(enum.StrEnum):
    """The status a report (or one of its objects) carries."""

    SUCCESS = "success"
    WARNING = "warning"
    FAILED = "failed"

    @property
    def rank(self) -> int:
        """Severity for roll-ups: higher is worse."""
        return _RANK[self]

    @classmethod
    def worst(cls, statuses: list[Status] | tuple[Status, ...]) -> Status:
        """The worst of `statuses` (success when empty)."""
        return max(statuses, key=lambda s: s.rank, default=cls.SUCCESS)


_RANK = {Status.SUCCESS: 0, Status.WARNING: 1, Status.FAILED: 2}


class Outcome(enum.StrEnum):
    """What the registry made of a mail."""

    PARSED = "parsed"
    IGNORED = "ignored"
    UNPARSED = "unparsed"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class ReportObject:
    """One protected item of a report: a VM, host, file set, mailbox, dataset…"""

    name: str
    type: str
    status: Status
    message: str = ""

    def __reduce__(self) -> tuple[Callable[..., ReportObject], tuple[Any, ...]]:
        """Pickle by value (ingest's worker sends parse results; three times faster)."""
        return self.__class__, tuple(getattr(self, name) for name in self.__slots__)


@dataclass(frozen=True, slots=True)
class Report:
    """One job run as a product reported it.

    `started_at` / `ended_at` are timezone-aware or None when the mail does not say.
    `size_bytes` is the size of the backup data, `transferred_bytes` what crossed the wire.
    """

    product: str
    job_type: str
    job_name: str
    host: str
    status: Status
    started_at: datetime | None = None
    ended_at: datetime | None = None
    message: str = ""
    size_bytes: int | None = None
    transferred_bytes: int | None = None
    objects: tuple[ReportObject, ...] = ()

    def __reduce__(self) -> tuple[Callable[..., Report], tuple[Any, ...]]:
        """Pickle by value (ingest's worker sends parse results; three times faster)."""
        return self.__class__, tuple(getattr(self, name) for name in self.__slots__)

    def to_json(self) -> dict[str, Any]:
        """The stable JSON shape of `backupchecks-tui parse --json`."""
        return {
            "product": self.product,
            "job_type": self.job_type,
            "job_name": self.job_name,
            "host": self.host,
            "status": self.status.value,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
            "message": self.message,
            "size_bytes": self.size_bytes,
            "transferred_bytes": self.transferred_bytes,
            "objects": [
                {"name": o.name, "type": o.type, "status": o.status.value, "message": o.message}
                for o in self.objects
            ],
        }


class IgnoreMail(Exception):
    """Raised by `Parser.parse` when the mail is recognised but is not a backup report."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Parser(Protocol):
    """A parser for one product (or one report kind of a product).

    `matches` must be cheap and never raise; `parse` returns one or more reports or
    raises `IgnoreMail` for mails that are not reports (tests, notices).
    """

    name: str
    product: str
    version: str
    priority: int

    def matches(self, mail: MailView) -> bool:
        """Whether this parser reads `mail`."""
        ...

    def parse(self, mail: MailView) -> list[Report]:
        """The reports in `mail`."""
        ...


@dataclass(slots=True)
class ParseResult:
    """The outcome of running the registry over one mail."""

    outcome: Outcome
    parser: str | None = None
    parser_version: str | None = None
    reason: str = ""
    reports: list[Report] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """JSON shape used by `parse --json` (without the file key)."""
        return {
            "outcome": self.outcome.value,
            "parser": self.parser,
            "reason": self.reason,
            "reports": [r.to_json() for r in self.reports],
        }
