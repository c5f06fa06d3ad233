"""The demo's follow-up: the tickets and remarks a team would have on a Monday morning.

Made through the ticket and remark services (so timelines, links and audit are real), at
times before the demo's Monday 07:30, once: a second build finds them and adds nothing.
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


def seed_follow_up(engine: Engine, today: date, zone: tzinfo) -> int:
    """Open the demo's tickets and remarks unless there are tickets already; how many made."""
    with read_scope(engine) as session:
        if session.exec(select(Ticket.id).limit(1)).first() is not None:
            return 0
    monday = datetime.combine(today, time(7, 30), zone)
    made = 0
    if (nas := _job(engine, "Riverside Care Home", "Backup Copy NAS")) is not None:
        runs = _problem_runs(engine, nas.id, 3)
        opened = monday - timedelta(days=2, hours=-1)
        ticket = tickets.open_ticket(
            engine,
            ANNA,
            "NAS-REPO01 full: Backup Copy NAS fails",
            code="PSA-20931",
            description=(
                "The copy repository **NAS-REPO01** has 96 GB free; a copy needs ~410 GB.\n\n"
                "- [x] clean up old restore points\n"
                "- [ ] customer to approve two extra 8 TB disks\n"
            ),
            scopes=[ScopeSpec.job(nas.id)],
            run_ids=runs[:1],
            now=opened,
        )
        tickets.start(engine, ANNA, ticket.id, now=opened + timedelta(minutes=20))
        tickets.comment(
            engine,
            ANNA,
            ticket.id,
            "Quote for two disks sent to the customer; waiting for approval.",
            now=opened + timedelta(hours=3),
        )
        for run_id in runs[1:]:
            tickets.link_run(engine, BRAM, ticket.id, run_id, now=monday - timedelta(hours=1))
        made += 1
    if (vms := _job(engine, "Zorggroep De Linde", "Productie VMs")) is not None:
        opened = monday - timedelta(hours=9)
        ticket = tickets.open_ticket(
            engine,
            BRAM,
            "LND-APP07: snapshot timeouts",
            code="PSA-20877",
            description="vCenter case 0345-22 opened; VMware asks for logs after the next run.",
            scopes=[ScopeSpec.object(vms.id, "LND-APP07")],
            run_ids=_problem_runs(engine, vms.id, 1),
            now=opened,
        )
        tickets.start(engine, BRAM, ticket.id, now=opened + timedelta(minutes=5))
        tickets.hold(
            engine, BRAM, ticket.id, monday + timedelta(days=14), now=opened + timedelta(hours=1)
        )
        made += 1
    if (clinic := _job(engine, "Aurora Clinics", "Clinic Servers")) is not None:
        opened = monday - timedelta(days=8)
        ticket = tickets.open_ticket(
            engine,
            ANNA,
            "AUR-EHR-DB: SQL VSS writer warning",
            scopes=[ScopeSpec.object(clinic.id, "AUR-EHR-DB")],
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
    if (pos := _job(engine, "Lakeside Hotel & Spa", "POS-Backup")) is not None:
        remarks.add_remark(
            engine,
            BRAM,
            "POS till server is being replaced this week: no POS-Backup reports until "
            "Wednesday. Call the front office before escalating.",
            [ScopeSpec.job(pos.id)],
            now=monday - timedelta(days=3),
        )
        made += 1
    if clinic is not None and clinic.customer_id is not None:
        remarks.add_remark(
            engine,
            ANNA,
            "Aurora Clinics: no restores or changes during clinic hours (08:00-18:00) "
            "without the practice manager.",
            [ScopeSpec.customer(clinic.customer_id)],
            now=monday - timedelta(days=20),
        )
        made += 1
    return made
