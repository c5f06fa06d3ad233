"""Turn parsed reports into jobs, runs and objects (on ingest and on re-parse).

Written in SQLAlchemy Core on the caller's connection: ingest is bound by these few
statements per mail, and the ORM's unit of work cost several times more here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from backupchecks_tui.safe_text import storable
from backupchecks_tui.services.customers import match_rules, suggest_customer
from parsers import Report, Status
from store.models import CustomerRule, Job, JobRun, RunObject
from store.types import utcnow

JOB = Job.__table__  # type: ignore[attr-defined]
RUN = JobRun.__table__  # type: ignore[attr-defined]
OBJ = RunObject.__table__  # type: ignore[attr-defined]
RULE = CustomerRule.__table__  # type: ignore[attr-defined]

# Statements built once, values passed as parameters: SQLAlchemy then reuses the
# compiled SQL instead of building a cache key from every value of every mail.
_FIND_JOB = select(JOB.c.id).where(
    JOB.c.product == bindparam("b_product"),
    JOB.c.name == bindparam("b_name"),
    JOB.c.sender == bindparam("b_sender"),
)
_INSERT_JOB = insert(JOB).returning(JOB.c.id)
_INSERT_RUN = insert(RUN).returning(RUN.c.id)
_INSERT_OBJECTS = insert(OBJ)


@dataclass(frozen=True)
class MailInfo:
    """What run creation needs to know about the mail."""

    id: int
    from_addr: str
    sent_at: datetime | None
    received_at: datetime


def rolled_up_status(report: Report) -> Status:
    """The run status: the report's own, made worse by any worse object status."""
    return Status.worst([report.status, *(o.status for o in report.objects)])


def job_identity(report: Report, from_addr: str) -> tuple[str, str, str]:
    """(product, job name, sender) — the key a job is known by.

    The sender is the From address: short host names ("NAS01") repeat across customers,
    addresses do not. The reported host stands in only for mail without a sender.
    """
    sender = (from_addr or report.host or "").strip().lower()
    name = storable(report.job_name).strip()[:500] or "(unnamed job)"
    return storable(report.product)[:60], name, storable(sender)[:320]


def run_day(moment: datetime, zone: tzinfo) -> date:
    """The day a run belongs to, in the operator's time zone."""
    return moment.astimezone(zone).date()


@dataclass
class JobCache:
    """Job ids by identity, and the customer rules, for one ingest pass.

    Jobs are only ever added, so a cached id stays right; rules are read once per pass.
    """

    ids: dict[tuple[str, str, str], int] = field(default_factory=dict)
    rules: list[tuple[int, str, str]] | None = None

    def job_id(self, conn: Connection, report: Report, from_addr: str) -> int:
        """The id of the job `report` belongs to, created (and mapped) when new."""
        key = job_identity(report, from_addr)
        found = self.ids.get(key)
        if found is None:
            found = self._lookup(conn, key) or self._create(conn, key, report, from_addr)
            self.ids[key] = found
        return found

    def _lookup(self, conn: Connection, key: tuple[str, str, str]) -> int | None:
        product, name, sender = key
        params = {"b_product": product, "b_name": name, "b_sender": sender}
        value = conn.execute(_FIND_JOB, params).scalar()
        return int(value) if value is not None else None

    def _create(
        self, conn: Connection, key: tuple[str, str, str], report: Report, from_addr: str
    ) -> int:
        product, name, sender = key
        values = {
            "product": product,
            "job_type": storable(report.job_type)[:60],
            "name": name,
            "sender": sender,
            "customer_id": self.customer_for(conn, name, [sender, report.host]),
            "suggested_customer": suggest_customer(from_addr or sender),
            "active": True,
            "paused": False,
            "schedule_kind": "",
            "schedule_json": "",
            "schedule_manual": False,
            "created_at": utcnow(),
        }
        try:
            with conn.begin_nested():
                return int(conn.execute(_INSERT_JOB, values).scalar_one())
        except IntegrityError:  # another process created it a moment ago
            found = self._lookup(conn, key)
            if found is None:
                raise
            return found

    def customer_for(self, conn: Connection, job_name: str, senders: list[str]) -> int | None:
        """The customer the mapping rules give (first by priority), or None."""
        if self.rules is None:
            rows = conn.execute(
                select(RULE.c.customer_id, RULE.c.kind, RULE.c.pattern).order_by(
                    RULE.c.priority, RULE.c.id
                )
            ).all()
            self.rules = [(int(r[0]), str(r[1]), str(r[2])) for r in rows]
        return match_rules(self.rules, job_name, senders)


def _moment(report: Report, mail: MailInfo) -> datetime:
    return report.started_at or report.ended_at or mail.sent_at or mail.received_at


def _run_values(report: Report, mail: MailInfo, job_id: int, zone: tzinfo) -> dict[str, Any]:
    status = rolled_up_status(report).value
    return {
        "job_id": job_id,
        "status": status,
        "reported_status": status,
        "override_id": None,
        "override_reason": "",
        "started_at": report.started_at,
        "ended_at": report.ended_at,
        "run_day": run_day(_moment(report, mail), zone),
        "message": storable(report.message),
        "size_bytes": report.size_bytes,
        "transferred_bytes": report.transferred_bytes,
        "object_count": len(report.objects),
        "problem_count": sum(1 for o in report.objects if o.status is not Status.SUCCESS),
    }


def apply_reports(
    conn: Connection,
    mail: MailInfo,
    reports: Sequence[Report],
    zone: tzinfo,
    jobs: JobCache,
    *,
    new_mail: bool,
) -> list[int]:
    """Create or update the runs of `mail` (one per report, keyed by report index).

    Re-parsing a mail updates its runs in place, so ids and review state survive (a
    changed verdict puts the run back in the queue); runs whose report disappeared go.
    """
    existing: dict[int, tuple[int, str, bool]] = {}
    if not new_mail:
        rows = conn.execute(
            select(
                RUN.c.report_index, RUN.c.id, RUN.c.reported_status, RUN.c.marked_success_by
            ).where(RUN.c.mail_id == mail.id)
        ).all()
        existing = {int(r[0]): (int(r[1]), str(r[2]), bool(r[3])) for r in rows}
    run_ids: list[int] = []
    for index, report in enumerate(reports):
        job_id = jobs.job_id(conn, report, mail.from_addr)
        values = _run_values(report, mail, job_id, zone)
        old = existing.pop(index, None)
        if old is None:
            values.update(
                mail_id=mail.id,
                report_index=index,
                reviewed_by="",
                marked_success_by="",
                created_at=utcnow(),
            )
            run_id = int(conn.execute(_INSERT_RUN, values).scalar_one())
        else:
            run_id, old_status, marked = old
            if old_status != values["status"]:
                # A changed verdict goes back to the queue and loses a manual mark.
                values.update(
                    reviewed_at=None, reviewed_by="", marked_success_by="", marked_success_at=None
                )
            elif marked:
                # Same verdict: the operator's "mark as success" stands.
                for key in ("status", "override_id", "override_reason"):
                    values.pop(key)
            conn.execute(update(RUN).where(RUN.c.id == run_id).values(values))
            conn.execute(delete(OBJ).where(OBJ.c.run_id == run_id))
        _insert_objects(conn, run_id, report)
        run_ids.append(run_id)
    for run_id, _status, _marked in existing.values():
        conn.execute(delete(OBJ).where(OBJ.c.run_id == run_id))
        conn.execute(delete(RUN).where(RUN.c.id == run_id))
    return run_ids


def _insert_objects(conn: Connection, run_id: int, report: Report) -> None:
    if not report.objects:
        return
    conn.execute(
        _INSERT_OBJECTS,
        [
            {
                "run_id": run_id,
                "name": storable(o.name),
                "type": storable(o.type)[:60],
                "status": o.status.value,
                "message": storable(o.message),
            }
            for o in report.objects
        ],
    )
