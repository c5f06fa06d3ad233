"""The ingest hooks end to end: late reports resolve missed runs, overrides apply.

Ingest skips each hook when the probes asked along with the mail insert say it cannot
change anything; these tests make sure it still runs whenever it can, with the mail
parsed in-process and by the worker (`Pipeline.ahead`).
"""

from __future__ import annotations

import time
from contextlib import closing
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from backupchecks_tui.ingest import prepare
from backupchecks_tui.ingest.pipeline import Ingested, Origin, Pipeline
from backupchecks_tui.roles import Actor, Role
from backupchecks_tui.services import overrides
from backupchecks_tui.services.missed import LATE_REVIEWER
from backupchecks_tui.views.overrides import OverrideSpec
from parsers import MailView, Registry, Report, Status
from store.engine import session_scope
from store.models import Job, JobRun, Override
from tests.mailfactory import BASE, SyntheticParser, synthetic_mail

ZONE = ZoneInfo("Europe/Amsterdam")
SENDER = "backup@customer-a.example"
ADMIN = Actor("alice", Role.ADMIN)


class DoubleParser(SyntheticParser):
    """Synthetic mails with the subject '[double] ...': one report each for alpha and beta."""

    name = "double"

    def matches(self, mail: MailView) -> bool:
        """Subject starts with [double]."""
        return mail.subject.startswith("[double]")

    def parse(self, mail: MailView) -> list[Report]:
        """The reports of jobs alpha and beta."""
        report = Report("synthetic", "backup", "", mail.from_addr, Status.SUCCESS, mail.date)
        return [replace(report, job_name="alpha"), replace(report, job_name="beta")]


def double_mail(n: int) -> bytes:
    """A synthetic mail `DoubleParser` reads, number `n` (its date and Message-ID)."""
    return synthetic_mail(n).replace(b"Subject: [synthetic]", b"Subject: [double]")


def pipeline_for(engine: Engine, *, worker: bool, monkeypatch: pytest.MonkeyPatch) -> Pipeline:
    """A pipeline for the synthetic mails; with its worker running when asked."""
    pipeline = Pipeline(engine, Registry([SyntheticParser(), DoubleParser()]), ZONE)
    if worker:
        monkeypatch.setattr(prepare, "MIN_MAILS", 1)
        lookahead = pipeline._lookahead
        assert lookahead._start()
        deadline = time.monotonic() + 60
        while lookahead._worker is None or not lookahead._worker.is_ready():
            assert time.monotonic() < deadline, "the worker did not start"
            time.sleep(0.01)
    return pipeline


def ingest(pipeline: Pipeline, raw: bytes, name: str) -> Ingested:
    """One mail through `ahead` and `ingest`, as import and fetch do."""
    with closing(pipeline.ahead([(raw, Origin(source="file", path=name))], expected=1)) as s:
        ((mail, origin),) = list(s)
        return pipeline.ingest(mail, origin)


def job_id(engine: Engine, name: str) -> int:
    """The id of the synthetic job `name`."""
    with session_scope(engine) as s:
        found = s.exec(select(Job.id).where(Job.name == name)).one()
        assert found is not None
        return found


def add_job(engine: Engine, name: str) -> int:
    """The synthetic job `name`, made as another process would."""
    with session_scope(engine) as s:
        job = Job(product="synthetic", name=name, sender=SENDER, created_at=BASE)
        s.add(job)
        s.flush()
        assert job.id is not None
        return job.id


def add_missed(engine: Engine, job: int, expected: datetime) -> int:
    """An unresolved missed run of `job` for the slot expected at `expected`."""
    with session_scope(engine) as s:
        run = JobRun(
            job_id=job,
            status="missed",
            reported_status="missed",
            run_day=expected.astimezone(ZONE).date(),
            expected_at=expected,
        )
        s.add(run)
        s.flush()
        assert run.id is not None
        return run.id


def run_of(engine: Engine, run_id: int) -> JobRun:
    """The run `run_id`."""
    with session_scope(engine) as s:
        run = s.get(JobRun, run_id)
        assert run is not None
        return run


def runs_of_mail(engine: Engine, mail_id: int) -> list[JobRun]:
    """The runs made from mail `mail_id`."""
    with session_scope(engine) as s:
        return list(s.exec(select(JobRun).where(JobRun.mail_id == mail_id)).all())


@pytest.mark.parametrize("worker", [False, True], ids=["in-process", "worker"])
def test_a_late_report_of_a_known_job_resolves_its_missed_run(
    engine: Engine, worker: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The job is known to the pass: the probe finds the missed run, the hook resolves it."""
    pipeline = pipeline_for(engine, worker=worker, monkeypatch=monkeypatch)
    ingest(pipeline, synthetic_mail(0, job="alpha"), "0.eml")
    missed = add_missed(engine, job_id(engine, "alpha"), BASE + timedelta(hours=23))
    other = add_missed(engine, job_id(engine, "alpha"), BASE + timedelta(days=5))
    stored = ingest(pipeline, synthetic_mail(24, job="alpha"), "24.eml")
    pipeline.close()
    (run,) = runs_of_mail(engine, stored.mail_id)
    resolved = run_of(engine, missed)
    assert (resolved.resolved_by_run_id, resolved.reviewed_by) == (run.id, LATE_REVIEWER)
    assert run_of(engine, other).resolved_by_run_id is None


@pytest.mark.parametrize("worker", [False, True], ids=["in-process", "worker"])
def test_a_mail_of_two_known_jobs_resolves_the_missed_run_of_either(
    engine: Engine, worker: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Several known jobs in one mail: the probe asks about all of them."""
    pipeline = pipeline_for(engine, worker=worker, monkeypatch=monkeypatch)
    ingest(pipeline, double_mail(0), "0.eml")
    missed = add_missed(engine, job_id(engine, "beta"), BASE + timedelta(hours=23))
    stored = ingest(pipeline, double_mail(24), "24.eml")
    pipeline.close()
    runs = {run.job_id: run.id for run in runs_of_mail(engine, stored.mail_id)}
    assert run_of(engine, missed).resolved_by_run_id == runs[job_id(engine, "beta")]


@pytest.mark.parametrize("worker", [False, True], ids=["in-process", "worker"])
def test_a_late_report_of_a_job_made_meanwhile_resolves_its_missed_run(
    engine: Engine, worker: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The job appeared after the pass read the job list: the hook runs without a probe."""
    pipeline = pipeline_for(engine, worker=worker, monkeypatch=monkeypatch)
    ingest(pipeline, synthetic_mail(0, job="alpha"), "0.eml")  # the pass reads the jobs
    missed = add_missed(engine, add_job(engine, "beta"), BASE + timedelta(hours=23))
    stored = ingest(pipeline, synthetic_mail(24, job="beta"), "24.eml")
    pipeline.close()
    (run,) = runs_of_mail(engine, stored.mail_id)
    assert run_of(engine, missed).resolved_by_run_id == run.id


@pytest.mark.parametrize("worker", [False, True], ids=["in-process", "worker"])
def test_an_active_override_applies_on_ingest(
    engine: Engine, worker: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failed report of a job with an override in force is stored as success."""
    pipeline = pipeline_for(engine, worker=worker, monkeypatch=monkeypatch)
    first = ingest(pipeline, synthetic_mail(0, status="failed", job="alpha"), "0.eml")
    (before,) = runs_of_mail(engine, first.mail_id)
    assert before.status == "failed"
    spec = OverrideSpec(scope="job", job_id=job_id(engine, "alpha"), reason="known")
    rule = overrides.create_override(engine, ADMIN, spec, now=datetime.now(UTC) - timedelta(1))
    stored = ingest(pipeline, synthetic_mail(1, status="failed", job="alpha"), "1.eml")
    pipeline.close()
    (run,) = runs_of_mail(engine, stored.mail_id)
    assert (run.status, run.reported_status, run.override_id) == ("success", "failed", rule.id)
    with session_scope(engine) as s:
        hits = s.exec(select(col(Override.hit_count))).all()
    assert hits == [1]
