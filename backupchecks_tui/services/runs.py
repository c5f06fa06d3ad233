"""Turn parsed reports into jobs, runs and objects (on ingest and on re-parse)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, tzinfo

from sqlmodel import Session, col, delete, select

from backupchecks_tui.safe_text import storable
from backupchecks_tui.services import customers
from parsers import Report, Status
from store.models import Job, JobRun, MailMessage, RunObject
from store.types import utcnow


def rolled_up_status(report: Report) -> Status:
    """The run status: the report's own, made worse by any worse object status."""
    return Status.worst([report.status, *(o.status for o in report.objects)])


def job_identity(report: Report, mail: MailMessage) -> tuple[str, str, str]:
    """(product, job name, sender) — the key a job is known by."""
    sender = (report.host or mail.from_addr or "").strip().lower()
    name = storable(report.job_name).strip()[:500] or "(unnamed job)"
    return storable(report.product)[:60], name, storable(sender)[:320]


def get_or_create_job(session: Session, report: Report, mail: MailMessage) -> Job:
    """The job a report belongs to; new jobs are mapped to a customer by the rules."""
    product, name, sender = job_identity(report, mail)
    query = select(Job).where(Job.product == product, Job.name == name, Job.sender == sender)
    job = session.exec(query).first()
    if job is not None:
        if report.job_type and job.job_type != report.job_type:
            job.job_type = report.job_type
        return job
    job = Job(
        product=product,
        job_type=storable(report.job_type)[:60],
        name=name,
        sender=sender,
        customer_id=customers.match_customer(session, name, sender or mail.from_addr),
        suggested_customer=customers.suggest_customer(mail.from_addr or sender),
    )
    session.add(job)
    session.flush()
    return job


def run_day(moment: datetime, zone: tzinfo) -> date:
    """The day a run belongs to, in the operator's time zone."""
    return moment.astimezone(zone).date()


def _moment(report: Report, mail: MailMessage) -> datetime:
    return report.started_at or report.ended_at or mail.sent_at or mail.received_at or utcnow()


def apply_reports(
    session: Session, mail: MailMessage, reports: Sequence[Report], zone: tzinfo
) -> list[JobRun]:
    """Create or update the runs of `mail` (one per report, keyed by report index).

    Re-parsing the same mail updates its runs in place, so review state survives and no
    duplicate appears; runs for reports that disappeared are removed.
    """
    assert mail.id is not None
    existing = {
        run.report_index: run
        for run in session.exec(select(JobRun).where(JobRun.mail_id == mail.id)).all()
    }
    runs: list[JobRun] = []
    for index, report in enumerate(reports):
        job = get_or_create_job(session, report, mail)
        run = existing.pop(index, None)
        runs.append(
            _upsert_run(session, job=job, mail=mail, index=index, report=report, run=run, zone=zone)
        )
    for stale in existing.values():
        _delete_run(session, stale)
    return runs


def _upsert_run(
    session: Session,
    *,
    job: Job,
    mail: MailMessage,
    index: int,
    report: Report,
    run: JobRun | None,
    zone: tzinfo,
) -> JobRun:
    assert job.id is not None
    status = rolled_up_status(report).value
    problems = sum(1 for o in report.objects if o.status is not Status.SUCCESS)
    moment = _moment(report, mail)
    day = run_day(moment, zone)
    fields: dict[str, object] = {
        "job_id": job.id,
        "status": status,
        "reported_status": status,
        "started_at": report.started_at,
        "ended_at": report.ended_at,
        "run_day": day,
        "message": storable(report.message),
        "size_bytes": report.size_bytes,
        "transferred_bytes": report.transferred_bytes,
        "object_count": len(report.objects),
        "problem_count": problems,
    }
    if run is None:
        run = JobRun(
            job_id=job.id,
            mail_id=mail.id,
            report_index=index,
            status=status,
            reported_status=status,
            run_day=day,
        )
        for key, value in fields.items():
            setattr(run, key, value)
    else:
        changed = run.reported_status != status
        for key, value in fields.items():
            setattr(run, key, value)
        if changed:  # a re-parse that changes the verdict puts the run back in the queue
            run.reviewed_at = None
            run.reviewed_by = ""
        run.override_id = None
        run.override_reason = ""
        session.exec(delete(RunObject).where(col(RunObject.run_id) == run.id))
    session.add(run)
    session.flush()
    assert run.id is not None
    session.add_all(
        RunObject(
            run_id=run.id,
            name=storable(o.name),
            type=storable(o.type)[:60],
            status=o.status.value,
            message=storable(o.message),
        )
        for o in report.objects
    )
    if job.last_run_at is None or moment > job.last_run_at:
        job.last_run_at = moment
        session.add(job)
    return run


def _delete_run(session: Session, run: JobRun) -> None:
    session.exec(delete(RunObject).where(col(RunObject.run_id) == run.id))
    session.delete(run)
