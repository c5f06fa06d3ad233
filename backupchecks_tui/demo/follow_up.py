"""The demo's follow-up: the tickets and remarks a team would have on a Monday morning.

Made through the ticket and remark services (so timelines, links and audit are real), at
times before the demo's Monday 07:30, once: a second build finds them and adds nothing.
Their texts and the jobs they are about are data (`follow_up.toml`, passed in as `texts`
by the build); who opens them when and what happened to them since is here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy import Engine
from sqlmodel import col, select

from backupchecks_tui.roles import Actor, Role
from backupchecks_tui.services import remarks, tickets
from backupchecks_tui.views.items import ScopeSpec
from store.engine import read_scope
from store.models import Customer, Job, JobRun, Ticket

ANNA = Actor("anna.ops", Role.OPERATOR)
BRAM = Actor("bram.ops", Role.OPERATOR)


@dataclass(frozen=True)
class _Job:
    id: int
    customer_id: int | None


def _job(engine: Engine, customer: str, name: str) -> _Job | None:
    """The job `name` of `customer`, if the scenario made it."""
    with read_scope(engine) as session:
        row = session.exec(
            select(Job.id, Job.customer_id)
            .join(Customer, col(Customer.id) == col(Job.customer_id))
            .where(Job.name == name, Customer.name == customer)
        ).first()
    return _Job(row[0], row[1]) if row and row[0] is not None else None


def _problem_runs(engine: Engine, job_id: int, limit: int) -> list[int]:
    """The job's newest failed or warning runs, oldest first."""
    with read_scope(engine) as session:
        ids = session.exec(
            select(JobRun.id)
            .where(JobRun.job_id == job_id, col(JobRun.status).in_(["failed", "warning"]))
            .order_by(col(JobRun.run_day).desc())
            .limit(limit)
        ).all()
    return sorted(i for i in ids if i is not None)


def seed_follow_up(
    engine: Engine, today: date, zone: tzinfo, texts: dict[str, dict[str, str]]
) -> int:
    """Open the demo's tickets and remarks unless there are tickets already; how many made.

    `texts` are the fields of follow_up.toml by key (the catalogue's `follow_up`).
    """
    with read_scope(engine) as session:
        if session.exec(select(Ticket.id).limit(1)).first() is not None:
            return 0
    monday = datetime.combine(today, time(7, 30), zone)
    made = 0
    nas_text, vms_text, clinic_text = texts["nas"], texts["snapshots"], texts["vss"]
    if (nas := _job(engine, nas_text["customer"], nas_text["job"])) is not None:
        runs = _problem_runs(engine, nas.id, 3)
        opened = monday - timedelta(days=2, hours=-1)
        ticket = tickets.open_ticket(
            engine,
            ANNA,
            nas_text["title"],
            code=nas_text["code"],
            description=nas_text["description"],
            scopes=[ScopeSpec.job(nas.id)],
            run_ids=runs[:1],
            now=opened,
        )
        tickets.start(engine, ANNA, ticket.id, now=opened + timedelta(minutes=20))
        tickets.comment(
            engine,
            ANNA,
            ticket.id,
            nas_text["comment"],
            now=opened + timedelta(hours=3),
        )
        for run_id in runs[1:]:
            tickets.link_run(engine, BRAM, ticket.id, run_id, now=monday - timedelta(hours=1))
        made += 1
    if (vms := _job(engine, vms_text["customer"], vms_text["job"])) is not None:
        opened = monday - timedelta(hours=9)
        ticket = tickets.open_ticket(
            engine,
            BRAM,
            vms_text["title"],
            code=vms_text["code"],
            description=vms_text["description"],
            scopes=[ScopeSpec.object(vms.id, vms_text["object"])],
            run_ids=_problem_runs(engine, vms.id, 1),
            now=opened,
        )
        tickets.start(engine, BRAM, ticket.id, now=opened + timedelta(minutes=5))
        tickets.hold(
            engine, BRAM, ticket.id, monday + timedelta(days=14), now=opened + timedelta(hours=1)
        )
        made += 1
    if (clinic := _job(engine, clinic_text["customer"], clinic_text["job"])) is not None:
        opened = monday - timedelta(days=8)
        ticket = tickets.open_ticket(
            engine,
            ANNA,
            clinic_text["title"],
            scopes=[ScopeSpec.object(clinic.id, clinic_text["object"])],
            now=opened,
        )
        tickets.resolve(
            engine,
            ANNA,
            ticket.id,
            "vss",
            "false_alarm",
            now=opened + timedelta(days=1),
        )
        made += 1
    pos_text, hours_text = texts["pos"], texts["clinic_hours"]
    if (pos := _job(engine, pos_text["customer"], pos_text["job"])) is not None:
        remarks.add_remark(
            engine,
            BRAM,
            pos_text["body"],
            [ScopeSpec.job(pos.id)],
            now=monday - timedelta(days=3),
        )
        made += 1
    hours = _job(engine, hours_text["customer"], hours_text["job"])
    if hours is not None and hours.customer_id is not None:
        remarks.add_remark(
            engine,
            ANNA,
            hours_text["body"],
            [ScopeSpec.customer(hours.customer_id)],
            now=monday - timedelta(days=20),
        )
        made += 1
    return made
