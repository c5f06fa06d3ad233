"""Counts for `backupchecks-tui stats`: mails by state, customers, jobs, runs, fetch times."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlmodel import col, func, select

from store.engine import read_scope
from store.models import Customer, ImapState, Job, JobRun, MailMessage


@dataclass
class Stats:
    """The numbers `stats` prints (field names are the JSON keys scripts rely on)."""

    mails_total: int = 0
    mails_parsed: int = 0
    mails_unparsed: int = 0
    mails_ignored: int = 0
    mails_error: int = 0
    customers: int = 0
    jobs: int = 0
    runs: int = 0
    runs_unreviewed: int = 0
    last_fetch: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def collect(engine: Engine) -> Stats:
    """Read all counts in one session."""
    stats = Stats()
    with read_scope(engine) as session:
        by_state = session.exec(
            select(MailMessage.parse_state, func.count()).group_by(col(MailMessage.parse_state))
        ).all()
        for state, count in by_state:
            stats.mails_total += count
            key = f"mails_{state}"
            if hasattr(stats, key):
                setattr(stats, key, getattr(stats, key) + count)
        stats.customers = session.exec(select(func.count()).select_from(Customer)).one()
        stats.jobs = session.exec(select(func.count()).select_from(Job)).one()
        stats.runs = session.exec(select(func.count()).select_from(JobRun)).one()
        stats.runs_unreviewed = session.exec(
            select(func.count()).select_from(JobRun).where(col(JobRun.reviewed_at).is_(None))
        ).one()
        for position in session.exec(select(ImapState)).all():
            when = position.last_fetch_at.isoformat() if position.last_fetch_at else ""
            stats.last_fetch[f"{position.account}/{position.folder}"] = when
    return stats
