"""What the Run Checks screen reads: the queue, a job's runs, one run in detail, export."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from backupchecks_tui.domain import RunStatus
from backupchecks_tui.errors import NotFound
from backupchecks_tui.ingest.pipeline import raw_message
from backupchecks_tui.services import coverage
from backupchecks_tui.services.mail_body import readable_body
from backupchecks_tui.views.checks import (
    CoverItem,
    ObjectRow,
    QueueFilter,
    QueuePage,
    QueueRow,
    RunDetail,
    RunRow,
)
from store import queries
from store.engine import read_scope, session_scope
from store.models import Customer, Job, JobRun, MailMessage, Override, RunObject

__all__ = [
    "RUNS_SHOWN",
    "ObjectRow",
    "QueueFilter",
    "QueuePage",
    "QueueRow",
    "RunDetail",
    "RunRow",
    "export_run_mail",
    "job_runs",
    "load_queue",
    "run_detail",
]

REUSED_ID_NOTE = (
    "Message-ID reused: an earlier, different mail carries the same one (kept as a mail of its own)"
)
RUNS_SHOWN = 200
"""A job's run list shows the newest runs only; history lives in the job history view."""


def store_filter(flt: QueueFilter) -> queries.QueueFilter:
    """The store's filter for a view filter."""
    return queries.QueueFilter(
        text=flt.text,
        statuses=frozenset(s.value for s in flt.statuses),
        include_reviewed=flt.include_reviewed,
        sort=flt.sort.value,
    )


def queue_row(row: queries.QueueRow) -> QueueRow:
    """The view of one store queue row (its worst rank named by the domain)."""
    return QueueRow(
        job_id=row.job_id,
        customer=row.customer,
        job_name=row.job_name,
        product=row.product,
        job_type=row.job_type,
        worst=RunStatus.by_rank(row.worst_rank),
        runs=row.runs,
        oldest_day=row.oldest_day,
        newest_at=row.newest_at,
        max_run_id=row.max_run_id,
        overrides=row.overrides,
    )


def load_queue(engine: Engine, flt: QueueFilter, limit: int = 0, offset: int = 0) -> QueuePage:
    """Queue rows (paged in SQL) and totals (markers not filled in: see the facade)."""
    with read_scope(engine) as session:
        rows, jobs, runs = queries.queue_page(
            session, store_filter(flt), RunStatus.ranks(), limit=limit, offset=offset
        )
    return QueuePage(tuple(queue_row(r) for r in rows), jobs, runs, flt, offset)


def _run_row(r: JobRun) -> RunRow:
    return RunRow(
        r.id or 0,
        RunStatus.of(r.status),
        RunStatus.of(r.reported_status),
        r.run_day,
        r.started_at,
        r.ended_at,
        r.object_count,
        r.problem_count,
        r.override_reason,
        r.reviewed_by,
        r.message,
    )


def job_runs(engine: Engine, job_id: int, *, include_reviewed: bool) -> list[RunRow]:
    """The newest runs of a job (unreviewed only unless asked), newest first."""
    query = select(JobRun).where(JobRun.job_id == job_id)
    if not include_reviewed:
        query = query.where(col(JobRun.reviewed_at).is_(None))
    query = query.order_by(col(JobRun.run_day).desc(), col(JobRun.id).desc()).limit(RUNS_SHOWN)
    with read_scope(engine) as session:
        return [_run_row(r) for r in session.exec(query)]


def run_detail(engine: Engine, run_id: int) -> RunDetail:
    """One run with its objects (problems first), mail metadata and body as text."""
    with read_scope(engine) as session:
        return _detail(session, run_id)[0]


def run_with_cover(
    engine: Engine, run_id: int, *, now: datetime | None = None
) -> tuple[RunDetail, list[CoverItem]]:
    """The run in detail and the active tickets and remarks covering it, read together:
    one connection, and the run, its job and its objects read once (on a database a
    network hop away every statement is a round trip)."""
    with read_scope(engine) as session:
        detail, job = _detail(session, run_id)
        names = {o.name.casefold() for o in detail.objects}
        return detail, coverage.cover_of(session, job, names, run_id, now)


def _detail(session: Session, run_id: int) -> tuple[RunDetail, Job]:
    """The run's detail, and its job."""
    run = session.get(JobRun, run_id)
    if run is None:
        raise NotFound(f"Run {run_id} no longer exists.")
    job = session.get(Job, run.job_id)
    assert job is not None
    customer = session.get(Customer, job.customer_id) if job.customer_id else None
    objects = session.exec(
        select(RunObject).where(RunObject.run_id == run_id).order_by(col(RunObject.id))
    ).all()
    mail = session.get(MailMessage, run.mail_id) if run.mail_id else None
    override = session.get(Override, run.override_id) if run.override_id else None
    rows = [ObjectRow(o.name, o.type, RunStatus.of(o.status), o.message) for o in objects]
    return RunDetail(
        run=_run_row(run),
        job_id=job.id or 0,
        job_name=job.name,
        customer=customer.name if customer else "",
        product=job.product,
        job_type=job.job_type,
        size_bytes=run.size_bytes,
        transferred_bytes=run.transferred_bytes,
        objects=sorted(rows, key=lambda o: -o.status.rank),
        override_text=_override_text(run, override),
        mail_id=mail.id if mail else None,
        mail_from=mail.from_addr if mail else "",
        mail_subject=mail.subject if mail else "",
        mail_date=mail.sent_at if mail else None,
        parser=f"{mail.parser_name} {mail.parser_version}".strip() if mail else "",
        body=_body_text(mail),
        mail_note=REUSED_ID_NOTE if mail is not None and mail.reused_id else "",
    ), job


def _override_text(run: JobRun, override: Override | None) -> str:
    if run.status == run.reported_status:
        return ""
    if override is not None:
        return f"override #{override.id}: {override.reason or 'no reason given'}"
    if run.marked_success_by:
        return f"marked as success by {run.marked_success_by}"
    return run.override_reason


def _body_text(mail: MailMessage | None) -> str:
    if mail is None:
        return "(no mail: this run was created because the expected report never came)"
    return readable_body(mail.text_body, mail.html_body) or "(empty body)"


def export_run_mail(engine: Engine, run_id: int, target: Path) -> int:
    """Write the original mail of a run to `target`; returns the byte count."""
    with session_scope(engine) as session:
        run = session.get(JobRun, run_id)
        if run is None or run.mail_id is None:
            raise NotFound("This run has no mail to export (a missed run has none).")
        mail = session.get(MailMessage, run.mail_id)
        assert mail is not None
        raw = raw_message(mail)
    target = target.expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(raw)
    return len(raw)
