"""Turn parsed reports into jobs, runs and objects (on ingest and on re-parse).

Written in SQLAlchemy Core on the caller's connection: ingest is bound by these few
statements per mail, and the ORM's unit of work cost several times more here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from backupchecks_tui.safe_text import storable
from backupchecks_tui.services.customers import match_rules, suggest_customer
from parsers import Report, Status
from store.fit import fit
from store.models import CustomerRule, Job, JobRun, Override, RunLink, RunObject
from store.types import utcnow

JOB = Job.__table__  # type: ignore[attr-defined]
RUN = JobRun.__table__  # type: ignore[attr-defined]
OBJ = RunObject.__table__  # type: ignore[attr-defined]
RULE = CustomerRule.__table__  # type: ignore[attr-defined]
LINK = RunLink.__table__  # type: ignore[attr-defined]
OVERRIDE = Override.__table__  # type: ignore[attr-defined]
# What else points at a run by id, without a foreign key: a run-scoped override, the run
# an override was made from, and the missed run a late run resolved.
_RUN_POINTERS = (
    (OVERRIDE, OVERRIDE.c.run_id),
    (OVERRIDE, OVERRIDE.c.source_run_id),
    (RUN, RUN.c.resolved_by_run_id),
)

# Statements built once, values passed as parameters: SQLAlchemy then reuses the
# compiled SQL instead of building a cache key from every value of every mail.
_FIND_JOB = select(JOB.c.id).where(
    JOB.c.product == bindparam("b_product"),
    JOB.c.name == bindparam("b_name"),
    JOB.c.sender == bindparam("b_sender"),
)
_ALL_JOBS = select(JOB.c.id, JOB.c.product, JOB.c.name, JOB.c.sender)
_INSERT_JOB = insert(JOB).returning(JOB.c.id)
# A job created concurrently by another process is not an error: ON CONFLICT DO NOTHING
# returns no row and the id is looked up (no savepoint per new job).
_UPSERT_JOB = {
    "sqlite": sqlite.insert(JOB)
    .on_conflict_do_nothing(index_elements=[JOB.c.product, JOB.c.name, JOB.c.sender])
    .returning(JOB.c.id),
    "postgresql": postgresql.insert(JOB)
    .on_conflict_do_nothing(index_elements=[JOB.c.product, JOB.c.name, JOB.c.sender])
    .returning(JOB.c.id),
}
_INSERT_RUN = insert(RUN)  # the new id from the cursor: cheaper than a RETURNING row
_INSERT_OBJECTS = insert(OBJ)


@dataclass(frozen=True)
class StoredRun:
    """A run just written from a report: what the ingest hooks need without a query."""

    id: int
    job_id: int
    run_day: date
    moment: datetime | None
    """When it started (or ended), as `coalesce(started_at, ended_at)`."""
    status: str
    """The reported (rolled-up) status."""


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
    The known jobs are read at the first need, all at once: a job missing then is new (or
    made meanwhile by another process, which the insert finds out).
    """

    ids: dict[tuple[str, str, str], int] = field(default_factory=dict)
    rules: list[tuple[int, str, str]] | None = None
    loaded: bool = False
    created: set[int] = field(default_factory=set)
    """Jobs this pass inserted itself (so no run of another process refers to them)."""
    added: list[tuple[str, str, str]] = field(default_factory=list)
    """The identities created, in order (see `forget_since`)."""

    def forget_since(self, mark: int) -> None:
        """Drop the jobs created after `len(added)` was `mark`: their transaction rolled
        back, so their ids are void (and SQLite may hand them out again)."""
        for key in self.added[mark:]:
            self.created.discard(self.ids.pop(key, -1))
        del self.added[mark:]

    def job_id(self, conn: Connection, report: Report, from_addr: str) -> int:
        """The id of the job `report` belongs to, created (and mapped) when new."""
        key = job_identity(report, from_addr)
        found = self.known(conn, key)
        if found is None:
            found = self._create(conn, key, report, from_addr)
            self.ids[key] = found
            self.added.append(key)
        return found

    def known(self, conn: Connection, key: tuple[str, str, str]) -> int | None:
        """The id of the job `key` names if it existed at the first look (or was made
        since by this pass), without asking the database again."""
        if not self.loaded:
            self._load(conn)
        return self.ids.get(key)

    def _load(self, conn: Connection) -> None:
        for job_id, product, name, sender in conn.execute(_ALL_JOBS):
            self.ids.setdefault((product, name, sender), int(job_id))
        self.loaded = True

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
        fit(JOB, values)  # e.g. a sender domain label longer than suggested_customer
        upsert = _UPSERT_JOB.get(conn.dialect.name)
        if upsert is None:
            return self._create_in_savepoint(conn, key, values)
        created = conn.execute(upsert, values).scalar()
        if created is not None:
            self.created.add(int(created))
            return int(created)
        # another process created it a moment ago (the conflict left it in place)
        found = self._lookup(conn, key)
        if found is None:  # pragma: no cover - a conflict means the row exists
            msg = f"job {key!r} conflicted but cannot be found"
            raise RuntimeError(msg)
        return found

    def _create_in_savepoint(
        self, conn: Connection, key: tuple[str, str, str], values: dict[str, Any]
    ) -> int:
        try:
            with conn.begin_nested():
                created = int(conn.execute(_INSERT_JOB, values).scalar_one())
            self.created.add(created)
            return created
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


def pending_probe(
    conn: Connection, mail: MailInfo, reports: Sequence[Report], zone: tzinfo, jobs: JobCache
) -> dict[str, Any]:
    """The parameters of `missed.PENDING_PROBE` for the runs `reports` will make.

    For ingest to ask before it writes them (`mail.id` is not used): the jobs of the
    reports known already (`b_jobs`; the others are new) and the days around their run
    days that `missed.resolve_late` searches. Asks the database nothing (but the job
    list, once per pass).
    """
    known = {jobs.known(conn, job_identity(report, mail.from_addr)) for report in reports}
    days = [run_day(_moment(report, mail), zone) for report in reports]
    return {
        "b_jobs": sorted(job_id for job_id in known if job_id is not None),
        "b_first": min(days) - timedelta(days=1),
        "b_last": max(days) + timedelta(days=1),
    }


def _run_values(report: Report, mail: MailInfo, job_id: int, zone: tzinfo) -> dict[str, Any]:
    """The job_run columns of `report`, made storable (a number out of range is left out
    and said so in the run's message)."""
    status = rolled_up_status(report).value
    values: dict[str, Any] = {
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
    notes = [dropped.note for dropped in fit(RUN, values)]
    if notes:
        values["message"] = "\n".join([values["message"], *notes]).strip()
    return values


def apply_reports(
    conn: Connection,
    mail: MailInfo,
    reports: Sequence[Report],
    zone: tzinfo,
    jobs: JobCache,
    *,
    new_mail: bool,
) -> list[StoredRun]:
    """Create or update the runs of `mail` (one per report, keyed by report index).

    Re-parsing a mail updates its runs in place, so ids and review state survive (a
    changed verdict puts the run back in the queue); runs whose report disappeared go,
    never taking a ticket or remark link with them (see `_retire_runs`). Returns the
    runs written, in report order, with what the ingest hooks need.
    """
    existing: dict[int, tuple[int, str, bool]] = {}
    if not new_mail:
        rows = conn.execute(
            select(
                RUN.c.report_index, RUN.c.id, RUN.c.reported_status, RUN.c.marked_success_by
            ).where(RUN.c.mail_id == mail.id)
        ).all()
        existing = {int(r[0]): (int(r[1]), str(r[2]), bool(r[3])) for r in rows}
    stored: list[StoredRun] = []
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
            key = conn.execute(_INSERT_RUN, values).inserted_primary_key
            assert key is not None  # one row inserted
            run_id = int(key[0])
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
        stored.append(
            StoredRun(
                run_id,
                job_id,
                values["run_day"],
                report.started_at or report.ended_at,
                values["reported_status"],
            )
        )
    _retire_runs(conn, [run_id for run_id, _status, _marked in existing.values()], stored)
    return stored


def _retire_runs(conn: Connection, run_ids: list[int], stored: list[StoredRun]) -> None:
    """Remove the runs whose report a re-parse no longer finds, keeping every link.

    A run that something points at (a ticket or remark link, an override, a resolved
    missed run) has its references moved to the run of the same job that replaces it
    in this mail; with no such run it is kept as it is, so a ticket never loses its
    run. Only runs nothing points at are deleted.
    """
    for run_id in run_ids:
        job_id = conn.execute(select(RUN.c.job_id).where(RUN.c.id == run_id)).scalar_one()
        heir = next((r.id for r in stored if r.job_id == job_id), None)
        if heir is not None:
            _move_links(conn, run_id, heir)
            for table, column in _RUN_POINTERS:
                conn.execute(update(table).where(column == run_id).values({column.name: heir}))
        elif any(
            conn.execute(select(column).where(column == run_id).limit(1)).first()
            for column in (LINK.c.run_id, *(c for _t, c in _RUN_POINTERS))
        ):
            continue  # nothing replaces it: the run stays, with its links
        conn.execute(delete(OBJ).where(OBJ.c.run_id == run_id))
        conn.execute(delete(RUN).where(RUN.c.id == run_id))


def _move_links(conn: Connection, run_id: int, heir: int) -> None:
    """Move the ticket and remark links of `run_id` to `heir`; a link `heir` has
    already (same ticket or remark, same kind) is not doubled."""
    owner = (LINK.c.ticket_id, LINK.c.remark_id, LINK.c.kind)
    held = {tuple(r) for r in conn.execute(select(*owner).where(LINK.c.run_id == heir))}
    for link_id, *key in conn.execute(
        select(LINK.c.id, *owner).where(LINK.c.run_id == run_id)
    ).all():
        if tuple(key) in held:
            conn.execute(delete(LINK).where(LINK.c.id == link_id))
        else:
            conn.execute(update(LINK).where(LINK.c.id == link_id).values(run_id=heir))
            held.add(tuple(key))


def _insert_objects(conn: Connection, run_id: int, report: Report) -> None:
    if not report.objects:
        return
    rows = [
        {
            "run_id": run_id,
            "name": o.name,
            "type": o.type,
            "status": o.status.value,
            "message": o.message,
        }
        for o in report.objects
    ]
    for row in rows:
        fit(OBJ, row)
    conn.execute(_INSERT_OBJECTS, rows)
