"""What the Tickets and Remarks screens share: scope lookup, detail sections, CSS, dates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, tzinfo
from typing import TYPE_CHECKING

from rich.text import Text
from sqlalchemy import func
from sqlmodel import col, select
from textual.widgets import RichLog

from backupchecks_tui.services import tickets
from backupchecks_tui.services.tickets import (
    LinkedRun,
    ScopeSpec,
    ScopeView,
    StateFilter,
    TimelineEntry,
)
from screens.style import literal
from store.engine import read_scope
from store.models import Customer, Job

if TYPE_CHECKING:
    from sqlalchemy import Engine

NARROW = 120
"""Below this width the list and the detail are stacked."""

FILTERS: list[StateFilter] = ["active", "resolved", "all"]
"""The state filter's cycle."""


def stamp(moment: datetime | None, zone: tzinfo, empty: str = "—") -> str:
    """`moment` in the operator's zone, to the minute."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else empty


def find_scope(engine: Engine, name: str) -> ScopeSpec | None:
    """A job (exact name, else the only one containing it) or a customer named `name`."""
    wanted = name.strip().lower()
    if not wanted:
        return None
    with read_scope(engine) as session:
        jobs = session.exec(select(Job.id).where(func.lower(Job.name) == wanted)).all()
        if not jobs:
            pattern = tickets.like_pattern(wanted)
            jobs = session.exec(
                select(Job.id).where(func.lower(Job.name).like(pattern, escape="\\"))
            ).all()
        if len(jobs) == 1 and jobs[0] is not None:
            return ScopeSpec.job(jobs[0])
        customer = session.exec(
            select(Customer.id)
            .where(func.lower(Customer.name) == wanted)
            .order_by(col(Customer.id))
        ).first()
    return ScopeSpec.customer(customer) if customer is not None else None


def write_sections(
    log: RichLog,
    zone: tzinfo,
    scopes: Sequence[ScopeView],
    runs: Sequence[LinkedRun],
    timeline: Sequence[TimelineEntry],
) -> None:
    """The scopes, linked runs and timeline sections of a detail pane."""
    log.write(Text("\nScopes", style="bold underline"))
    for scope in scopes:
        log.write(Text(f"  {scope.kind}: ") + literal(scope.label))
    if not scopes:
        log.write(Text("  —", style="dim"))
    log.write(Text("\nLinked runs", style="bold underline"))
    for run in runs:
        line = Text(f"  {run.run_day}  run {run.run_id}  ")
        line.append_text(literal(f"{run.job} ({run.customer or 'no customer'})"))
        line.append(f"  {run.status}  {run.kind}")
        log.write(line)
    if not runs:
        log.write(Text("  —", style="dim"))
    log.write(Text("\nTimeline", style="bold underline"))
    for entry in timeline:
        line = Text(f"  {stamp(entry.at, zone)}  ", style="dim")
        line.append_text(literal(entry.actor, 16, style="bold"))
        line.append("  ")
        line.append_text(Text(entry.summary))
        log.write(line)


def detail_css(screen: str, prefix: str) -> str:
    """The CSS of a list | detail area screen whose widget ids start with `prefix`."""
    return f"""
    #{prefix}-header {{ height: 1; padding: 0 1; }}
    #{prefix}-filter {{ height: 3; }}
    #{prefix}-panes {{ height: 1fr; }}
    #{prefix}-list {{ width: 62%; }}
    #{prefix}-detail {{ width: 38%; padding: 0 1; border-left: solid $panel-lighten-2; }}
    {screen}.narrow #{prefix}-panes {{ layout: vertical; }}
    {screen}.narrow #{prefix}-list {{ width: 100%; height: 10; }}
    {screen}.narrow #{prefix}-detail {{ width: 100%; height: 1fr; border-left: none; }}
    """


def parse_day(text: str, zone: tzinfo) -> datetime | None:
    """Midnight of a YYYY-MM-DD day in `zone`, or None when it is not a date."""
    try:
        return datetime.combine(date.fromisoformat(text.strip()), time(), zone)
    except ValueError:
        return None


def run_counts(engine: Engine, ticket_ids: Sequence[int]) -> dict[int, int]:
    """How many runs are linked to each ticket."""
    with read_scope(engine) as session:
        return {
            i: len(tickets.linked_runs(session, tickets.Owner("ticket", i))) for i in ticket_ids
        }
