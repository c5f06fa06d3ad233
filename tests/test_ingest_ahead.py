"""Parsing ahead in a worker process (`Pipeline.ahead`): same database, same counts.

The worker only moves the parsing elsewhere; these tests check that what is stored is
the same as with in-process parsing (real golden mails, duplicates, unreadable mail),
and that a worker that dies or cannot start, or a source that fails, changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select
from sqlmodel import col

from backupchecks_tui.database import open_database
from backupchecks_tui.ingest import prepare
from backupchecks_tui.ingest.pipeline import IngestStats, Origin, Pipeline
from parsers import MailView, Registry, default_registry
from store.models import Job, JobRun, MailMessage, RunObject
from tests.mailfactory import SyntheticParser, synthetic_mail

ZONE = ZoneInfo("Europe/Amsterdam")
GOLDEN = Path(__file__).parent / "golden"
Stored = dict[str, list[dict[str, Any]]]
# Columns that differ between two ingests of the same mail by design (ids, clocks).
VOLATILE = {"id", "received_at", "parsed_at", "created_at", "mail_id", "run_id", "job_id"}


def corpus() -> list[bytes]:
    """Every golden mail, synthetic ones, a duplicate and two unreadable ones."""
    mails = [
        p.read_bytes()
        for p in sorted(GOLDEN.rglob("*"))
        if p.is_file() and p.suffix not in {".json", ".py", ".tsv"}
    ]
    mails += [synthetic_mail(n, status=("success", "failed")[n % 2]) for n in range(30)]
    # mail 3 again, the same content (synthetic_mail(3) alone would be another mail
    # reusing its Message-ID: a new mail, not a duplicate)
    mails += [synthetic_mail(3, status="failed"), b"", b"\xff\xfe\x00garbage"]
    return mails


def registry() -> Registry:
    """The built-in parsers and the synthetic one."""
    return default_registry().with_parsers([SyntheticParser()])


def rows(engine: Engine, model: Any) -> list[dict[str, Any]]:
    """The rows of `model` without their volatile columns, in id order."""
    table = model.__table__
    keep = [c for c in table.c if c.name not in VOLATILE]
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(*keep).order_by(table.c.id))]


def snapshot(engine: Engine) -> Stored:
    """What ingest stored, comparable across databases."""
    return {
        "mail": rows(engine, MailMessage),
        "job": rows(engine, Job),
        "run": rows(engine, JobRun),
        "object": rows(engine, RunObject),
    }


def wait_for_worker(pipeline: Pipeline) -> None:
    """Start the worker of `pipeline` and wait until it has started."""
    lookahead = pipeline._lookahead
    assert lookahead._start()
    worker = lookahead._worker
    assert worker is not None
    deadline = time.monotonic() + 60
    while not worker.is_ready():
        assert time.monotonic() < deadline, "the worker did not start"
        time.sleep(0.01)


def ingest_all(
    pipeline: Pipeline, mails: list[bytes], *, expected: int, kill_after: int = 0
) -> IngestStats:
    """Ingest `mails` through `ahead` the way import and fetch do."""
    stats = IngestStats()
    items = [(raw, Origin(source="file", path=f"{n}.eml")) for n, raw in enumerate(mails)]
    try:
        with closing(pipeline.ahead(items, expected=expected)) as stream:
            for n, (raw, origin) in enumerate(stream):
                if kill_after and n == kill_after:
                    worker = pipeline._lookahead._worker
                    assert worker is not None
                    worker.proc.kill()
                stats.add(pipeline.ingest(raw, origin))
    finally:
        pipeline.close()
    return stats


def synthetic_corpus() -> list[bytes]:
    """Synthetic mails only, with a duplicate and an unreadable one (fit every backend)."""
    mails = [synthetic_mail(n, status=("success", "failed")[n % 2]) for n in range(30)]
    return [*mails, synthetic_mail(3, status="failed"), b"\xff\xfe\x00garbage"]


def in_process(
    path: Path, mails: list[bytes]
) -> tuple[dict[str, list[dict[str, Any]]], IngestStats]:
    """`mails` ingested in-process (no worker) into a SQLite database at `path`."""
    engine = open_database(f"sqlite:///{path}")
    stats = ingest_all(Pipeline(engine, registry(), ZONE), mails, expected=0)
    stored = snapshot(engine)
    engine.dispose()
    return stored, stats


def counts(stats: IngestStats) -> tuple[int, ...]:
    """The counters of `stats`."""
    return (stats.seen, stats.new, stats.duplicates, stats.parsed, stats.unparsed, stats.runs)


def test_worker_stores_the_same_as_in_process(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Golden, synthetic, duplicate and unreadable mail: identical rows and counts."""
    monkeypatch.setattr(prepare, "MIN_MAILS", 1)
    used: list[int] = []
    receive = prepare._Worker.receive

    def counting(self: prepare._Worker, number: int) -> list[prepare.Prepared | None] | None:
        result = receive(self, number)
        used.append(sum(1 for r in result or [] if r is not None))
        return result

    monkeypatch.setattr(prepare._Worker, "receive", counting)
    expected_rows, expected_stats = in_process(tmp_path / "reference.db", corpus())
    pipeline = Pipeline(sqlite_engine, registry(), ZONE)
    wait_for_worker(pipeline)
    stats = ingest_all(pipeline, corpus(), expected=1)
    assert sum(used) > len(corpus()) // 2  # the worker did most of the parsing
    assert counts(stats) == counts(expected_stats)
    assert snapshot(sqlite_engine) == expected_rows


def test_worker_on_both_backends_and_a_second_pass(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same rows on SQLite and PostgreSQL; a second pass stores nothing new."""
    monkeypatch.setattr(prepare, "MIN_MAILS", 1)
    expected_rows, expected_stats = in_process(tmp_path / "reference.db", synthetic_corpus())
    pipeline = Pipeline(engine, registry(), ZONE)
    wait_for_worker(pipeline)
    stats = ingest_all(pipeline, synthetic_corpus(), expected=1)
    assert counts(stats) == counts(expected_stats)
    assert snapshot(engine) == expected_rows
    # every mail is stored already: the insert tells (ON CONFLICT), nothing changes
    pipeline = Pipeline(engine, registry(), ZONE)
    wait_for_worker(pipeline)
    again = ingest_all(pipeline, synthetic_corpus(), expected=1)
    assert (again.seen, again.new, again.duplicates) == (stats.seen, 0, stats.seen)
    assert snapshot(engine) == expected_rows


def test_a_worker_that_dies_changes_nothing(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker killed mid-pass: the writer parses the rest itself."""
    monkeypatch.setattr(prepare, "MIN_MAILS", 1)
    expected_rows, expected_stats = in_process(tmp_path / "reference.db", corpus())
    pipeline = Pipeline(sqlite_engine, registry(), ZONE)
    wait_for_worker(pipeline)
    stats = ingest_all(pipeline, corpus(), expected=1, kill_after=40)
    assert counts(stats) == counts(expected_stats)
    assert snapshot(sqlite_engine) == expected_rows


def test_a_registry_that_cannot_be_sent_parses_in_process(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No worker for a registry that does not pickle: everything is parsed in-process."""
    monkeypatch.setattr(prepare, "MIN_MAILS", 1)

    class Unpicklable(SyntheticParser):
        """Defined in a function: pickle cannot name it, so no worker can have it."""

        def matches(self, mail: MailView) -> bool:
            return super().matches(mail)

    pipeline = Pipeline(sqlite_engine, Registry([Unpicklable()]), ZONE)
    stats = ingest_all(pipeline, [synthetic_mail(n) for n in range(20)], expected=1)
    assert (stats.new, stats.parsed) == (20, 20)
    assert pipeline._lookahead._worker is None


def test_a_failing_source_keeps_the_mails_before_it(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error reading mail 25 surfaces after mails 0-24 are stored, as without a worker."""
    monkeypatch.setattr(prepare, "MIN_MAILS", 1)

    def source() -> Iterator[tuple[bytes, Origin]]:
        for n in range(25):
            yield synthetic_mail(n), Origin(source="file", path=f"{n}.eml")
        msg = "unreadable file"
        raise OSError(msg)

    pipeline = Pipeline(sqlite_engine, Registry([SyntheticParser()]), ZONE)
    wait_for_worker(pipeline)
    stored = 0
    with pytest.raises(OSError, match="unreadable file"), closing(pipeline.ahead(source(), 1)) as s:
        for raw, origin in s:
            stored += pipeline.ingest(raw, origin).new
    pipeline.close()
    assert stored == 25
    assert len(rows(sqlite_engine, MailMessage)) == 25


def test_a_rolled_back_mail_leaves_no_job_behind_in_the_cache(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mail that fails after creating its job: the job id is forgotten with it.

    SQLite hands the rolled-back id out again, so a cached id would attach the next
    new job's runs to the wrong job.
    """
    from backupchecks_tui.services import runs

    pipeline = Pipeline(sqlite_engine, Registry([SyntheticParser()]), ZONE)
    insert_objects = runs._insert_objects
    fail = [True]

    def flaky(*args: Any) -> None:
        if fail.pop() if fail else False:
            msg = "disk full"
            raise OSError(msg)
        insert_objects(*args)

    monkeypatch.setattr(runs, "_insert_objects", flaky)
    first = Origin(source="file", path="a.eml")
    with pytest.raises(OSError, match="disk full"):
        pipeline.ingest(synthetic_mail(1, job="alpha"), first)
    pipeline.ingest(synthetic_mail(2, job="beta"), Origin(source="file", path="b.eml"))
    pipeline.ingest(synthetic_mail(1, job="alpha"), first)
    with sqlite_engine.connect() as conn:
        jobs = dict(conn.execute(select(col(Job.id), col(Job.name))).all())
        runs_of = conn.execute(select(col(JobRun.job_id))).scalars().all()
    assert sorted(jobs.values()) == ["alpha", "beta"]
    assert sorted(jobs[j] for j in runs_of) == ["alpha", "beta"]


def test_a_pass_left_early_does_not_confuse_the_next(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Leaving `ahead` with chunks in flight (a fetch batch that stops), then going on."""
    monkeypatch.setattr(prepare, "MIN_MAILS", 1)
    mails = corpus()
    expected_rows, _ = in_process(tmp_path / "reference.db", mails)
    pipeline = Pipeline(sqlite_engine, registry(), ZONE)
    wait_for_worker(pipeline)
    items = [(raw, Origin(source="file", path=f"{n}.eml")) for n, raw in enumerate(mails)]
    with closing(pipeline.ahead(items, expected=1)) as stream:
        for n, (raw, origin) in enumerate(stream):
            pipeline.ingest(raw, origin)
            if n == 40:
                break
    stats = ingest_all(pipeline, mails, expected=1)
    assert (stats.seen, stats.duplicates) == (len(mails), 41 + 1)  # one duplicate in corpus
    assert snapshot(sqlite_engine) == expected_rows
