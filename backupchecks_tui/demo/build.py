"""Build the demo database: customers and mapping rules, every scenario mail through the
real ingest pipeline, the review state of a believable Monday morning, and the team's open
tickets and remarks.

Runs older than yesterday are marked reviewed (by `REVIEWER`, the morning after their
run day), so the queue holds the weekend and this night: a few dozen jobs with failures,
warnings and successes. Building again into the same database adds nothing: customers
and rules are looked up before they are made, mails are deduplicated by Message-ID, and
only unreviewed old runs are marked.
"""

from __future__ import annotations

import time as clock
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from sqlalchemy import Engine, func, update
from sqlmodel import Session, SQLModel, col, select

from backupchecks_tui.database import open_database
from backupchecks_tui.demo.catalogue import catalogue
from backupchecks_tui.demo.follow_up import seed_follow_up
from backupchecks_tui.demo.scenario import Scenario, build_scenario
from backupchecks_tui.domain import ParseState
from backupchecks_tui.ingest.pipeline import Origin, Pipeline
from backupchecks_tui.services import customers as customer_service
from parsers import default_registry
from store.engine import session_scope
from store.models import Customer, CustomerRule, Job, JobRun, MailMessage
from store.queries import QueueFilter, queue_totals

REVIEWER = "demo.reviewer"
"""The login the demo's already-reviewed runs are marked with."""

REVIEW_WINDOW_DAYS = 2
"""Runs of the last this-many days (today included) are left in the queue."""


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """What the demo database holds after a build (totals) and what this build added."""

    customers: int
    jobs: int
    runs: int
    mails: int
    unparsed: int
    new_mails: int
    reviewed_runs: int
    queue_jobs: int
    queue_runs: int
    seconds: float


def build_demo(
    url: str,
    today: date | None = None,
    progress: Callable[[int, int], None] | None = None,
    *,
    zone: tzinfo = UTC,
) -> DemoSummary:
    """Fill the database at `url` (migrated on open) with the demo scenario.

    `today` is the scenario's Monday morning (default: the current date in `zone`); `zone` is
    the operator's time zone (run days and report times); `progress(done, total)` is
    called after every mail.
    """
    started = clock.perf_counter()
    scenario = build_scenario(today, zone)
    engine = open_database(url)
    try:
        ensure_customers(engine, scenario)
        pipeline = Pipeline(engine, default_registry(), zone)
        total = len(scenario.mails)
        new = 0
        for done, mail in enumerate(scenario.mails, start=1):
            result = pipeline.ingest(
                mail.raw, Origin(source="file", path=f"demo:{mail.kind}/{mail.message_id}")
            )
            new += int(result.new)
            if progress is not None:
                progress(done, total)
        reviewed = mark_reviewed(engine, scenario.today, zone)
        seed_follow_up(engine, scenario.today, zone, catalogue().follow_up)
        return _summary(engine, new, reviewed, clock.perf_counter() - started)
    finally:
        engine.dispose()


def ensure_customers(engine: Engine, scenario: Scenario) -> None:
    """Create the customers with a sender-domain rule each (plus host rules), once."""
    with session_scope(engine) as session:
        for spec in scenario.customers:
            customer = customer_service.get_or_create(session, spec.name)
            wanted = [("sender_domain", spec.domain.lower())]
            wanted += [("sender", host) for host in scenario.host_rules(spec)]
            have = _rules(session, customer)
            for kind, pattern in wanted:
                if (kind, pattern) not in have:
                    customer_service.add_rule(session, customer, kind, pattern)


def _rules(session: Session, customer: Customer) -> set[tuple[str, str]]:
    """The (kind, pattern) pairs of the customer's rules."""
    rows = session.exec(
        select(CustomerRule.kind, CustomerRule.pattern).where(
            CustomerRule.customer_id == customer.id
        )
    ).all()
    return {(kind, pattern.lower()) for kind, pattern in rows}


def mark_reviewed(engine: Engine, today: date, zone: tzinfo) -> int:
    """Mark unreviewed runs before the review window as reviewed; the number marked.

    Each run day is reviewed the next morning (08:20 in `zone`) by `REVIEWER`.
    """
    cutoff = today - timedelta(days=REVIEW_WINDOW_DAYS - 1)
    marked = 0
    with session_scope(engine) as session:
        days = session.execute(
            select(col(JobRun.run_day))
            .where(col(JobRun.reviewed_at).is_(None), col(JobRun.run_day) < cutoff)
            .distinct()
        ).scalars()
        for day in sorted(days):
            at = datetime.combine(day + timedelta(days=1), time(8, 20), tzinfo=zone)
            result = session.execute(
                update(JobRun)
                .where(col(JobRun.run_day) == day, col(JobRun.reviewed_at).is_(None))
                .values(reviewed_at=at.astimezone(UTC), reviewed_by=REVIEWER)
            )
            marked += int(getattr(result, "rowcount", 0) or 0)
    return marked


def totals(engine: Engine) -> DemoSummary:
    """The totals of a built demo database (without a build's own counts and time)."""
    return _summary(engine, 0, 0, 0.0)


def _count(session: Session, table: type[SQLModel]) -> int:
    """The number of rows of `table`."""
    return int(session.execute(select(func.count()).select_from(table)).scalar_one())


def _summary(engine: Engine, new: int, reviewed: int, seconds: float) -> DemoSummary:
    """The totals of the database after a build."""
    with session_scope(engine) as session:
        unparsed = session.execute(
            select(func.count(col(MailMessage.id))).where(
                col(MailMessage.parse_state) != ParseState.PARSED
            )
        ).scalar_one()
        jobs, runs = queue_totals(session, QueueFilter())
        return DemoSummary(
            customers=_count(session, Customer),
            jobs=_count(session, Job),
            runs=_count(session, JobRun),
            mails=_count(session, MailMessage),
            unparsed=int(unparsed),
            new_mails=new,
            reviewed_runs=reviewed,
            queue_jobs=jobs,
            queue_runs=runs,
            seconds=round(seconds, 2),
        )
