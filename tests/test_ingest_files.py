"""File import and the pipeline: dedupe, malformed mail, re-parse, stats, export."""

from __future__ import annotations

import json
import mailbox
import zlib
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine
from sqlmodel import func, select

from backupchecks_tui.cli import main
from backupchecks_tui.ingest import files
from backupchecks_tui.ingest.pipeline import IngestStats, Pipeline
from backupchecks_tui.services import stats
from backupchecks_tui.services.reparse import reparse
from backupchecks_tui.views.overrides import OverrideSpec
from parsers import Registry
from store.engine import session_scope
from store.models import JobRun, MailMessage, RunObject
from tests.mailfactory import SyntheticParser, synthetic_mail

ZONE = ZoneInfo("Europe/Amsterdam")


@pytest.fixture
def pipeline(engine: Engine) -> Pipeline:
    """A pipeline that knows the synthetic test format."""
    return Pipeline(engine, Registry([SyntheticParser()]), ZONE)


def import_paths(pipeline: Pipeline, *paths: Path) -> IngestStats:
    """Run a file import the way the CLI does."""
    result = IngestStats()
    for source in files.collect([str(p) for p in paths]):
        for raw, origin in source.mails():
            result.add(pipeline.ingest(raw, origin))
    return result


def count(engine: Engine, table: type[MailMessage] | type[JobRun] | type[RunObject]) -> int:
    """Rows in `table`."""
    with session_scope(engine) as s:
        return s.exec(select(func.count()).select_from(table)).one()


def test_eml_folders_mbox_and_the_same_file_twice(
    tmp_path: Path, pipeline: Pipeline, engine: Engine
) -> None:
    """Files, nested folders and mbox are read; a second import adds nothing."""
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "one.eml").write_bytes(synthetic_mail(1))
    (tmp_path / "a" / "two.eml").write_bytes(synthetic_mail(2, status="warning"))
    (tmp_path / "a" / "b" / "three.eml").write_bytes(synthetic_mail(3, status="failed"))
    (tmp_path / "a" / "notes.pdf").write_bytes(b"%PDF")
    box = mailbox.mbox(tmp_path / "box.mbox")
    for n in (4, 5, 6):
        box.add(synthetic_mail(n))
    box.close()
    first = import_paths(pipeline, tmp_path / "one.eml", tmp_path / "a", tmp_path / "box.mbox")
    assert (first.seen, first.new, first.parsed, first.runs) == (6, 6, 6, 6)
    again = import_paths(pipeline, tmp_path)
    assert (again.seen, again.new, again.duplicates) == (6, 0, 6)
    assert count(engine, MailMessage) == 6
    assert count(engine, JobRun) == 6


def test_mail_without_message_id_is_deduplicated_by_content(
    tmp_path: Path, pipeline: Pipeline, engine: Engine
) -> None:
    """No Message-ID: the content hash keeps a second import out."""
    path = tmp_path / "nomid.eml"
    path.write_bytes(synthetic_mail(9, message_id=False))
    assert import_paths(pipeline, path).new == 1
    assert import_paths(pipeline, path).duplicates == 1
    assert count(engine, MailMessage) == 1


BROKEN_MIME = (
    b"From: x@y.example\r\nSubject: broken\r\nMessage-ID: <broken@t>\r\n"
    b'Content-Type: multipart/mixed; boundary="nope"\r\n\r\nno boundary here at all\r\n'
)
WRONG_CHARSET = (
    b"From: x@y.example\r\nSubject: =?utf-8?q?caf=E9?=\r\nMessage-ID: <cs@t>\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\nLatin-1 bytes: caf\xe9 \xff\r\n"
)
UNKNOWN_CHARSET = (
    b"From: x@y.example\r\nSubject: odd\r\nMessage-ID: <uc@t>\r\n"
    b"Content-Type: text/plain; charset=x-no-such-charset\r\n\r\nhello\r\n"
)


def big_attachment_mail() -> bytes:
    """A synthetic report with a 20 MB attachment."""
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"] = "x@y.example"
    msg["Subject"] = "[synthetic] success big"
    msg["Message-ID"] = "<big@t>"
    msg.set_content("object vm-1: success\n")
    msg.add_attachment(b"\x00" * 20_000_000, maintype="application", subtype="octet-stream")
    return bytes(msg)


@pytest.mark.parametrize(
    ("raw", "state"),
    [
        (BROKEN_MIME, "unparsed"),
        (WRONG_CHARSET, "unparsed"),
        (UNKNOWN_CHARSET, "unparsed"),
        (synthetic_mail(11, date=False), "parsed"),
        (b"\x00\xff garbage \x1b[2J", "unparsed"),
        (b"", "unparsed"),
    ],
    ids=["broken-mime", "wrong-charset", "unknown-charset", "no-date", "garbage", "empty"],
)
def test_malformed_mail_is_stored_with_a_reason(
    tmp_path: Path, pipeline: Pipeline, engine: Engine, raw: bytes, state: str
) -> None:
    """Bad mail never crashes the pass; it is kept with a state and a reason."""
    path = tmp_path / "bad.eml"
    path.write_bytes(raw)
    result = import_paths(pipeline, path)
    assert result.new == 1
    with session_scope(engine) as s:
        mail = s.exec(select(MailMessage)).one()
        assert mail.parse_state == state
        assert zlib.decompress(mail.raw_gz) == raw
        if state != "parsed":
            assert mail.parse_reason


def test_big_attachment(tmp_path: Path, pipeline: Pipeline, engine: Engine) -> None:
    """A 20 MB attachment is stored (compressed) and the report still parses."""
    path = tmp_path / "big.eml"
    path.write_bytes(big_attachment_mail())
    assert import_paths(pipeline, path).parsed == 1
    with session_scope(engine) as s:
        mail = s.exec(select(MailMessage)).one()
        assert mail.raw_size > 20_000_000
        assert len(mail.raw_gz) < 1_000_000


def test_no_date_uses_ingest_day(tmp_path: Path, pipeline: Pipeline, engine: Engine) -> None:
    """A report without a Date header still gets a run day."""
    path = tmp_path / "nodate.eml"
    path.write_bytes(synthetic_mail(12, date=False))
    import_paths(pipeline, path)
    with session_scope(engine) as s:
        assert s.exec(select(JobRun)).one().run_day is not None


def test_reparse_gives_the_same_runs(tmp_path: Path, pipeline: Pipeline, engine: Engine) -> None:
    """Re-parsing keeps run ids and review state; nothing is added."""
    for n in range(5):
        (tmp_path / f"{n}.eml").write_bytes(synthetic_mail(n, status="warning"))
    import_paths(pipeline, tmp_path)
    with session_scope(engine) as s:
        before = sorted((r.id, r.job_id, r.status) for r in s.exec(select(JobRun)))
        first = s.exec(select(JobRun)).first()
        assert first is not None
        first.reviewed_at = first.created_at
        first.reviewed_by = "alice"
        s.add(first)
    counts = reparse(pipeline, None)
    assert counts == {"parsed": 5}
    with session_scope(engine) as s:
        after = sorted((r.id, r.job_id, r.status) for r in s.exec(select(JobRun)))
        assert s.exec(select(JobRun).where(JobRun.reviewed_by == "alice")).one()
    assert before == after
    assert count(engine, RunObject) == 5


def test_unparsed_mail_is_parsed_after_the_parser_arrives(tmp_path: Path, engine: Engine) -> None:
    """Mail stored before a parser knew it becomes runs on re-parse."""
    (tmp_path / "x.eml").write_bytes(synthetic_mail(1))
    import_paths(Pipeline(engine, Registry([]), ZONE), tmp_path)
    assert count(engine, JobRun) == 0
    counts = reparse(Pipeline(engine, Registry([SyntheticParser()]), ZONE), None)
    assert counts == {"parsed": 1}
    assert count(engine, JobRun) == 1


def test_stats_counts(tmp_path: Path, pipeline: Pipeline, engine: Engine) -> None:
    """stats counts mails by state, jobs, runs and unreviewed runs."""
    for n in range(3):
        (tmp_path / f"{n}.eml").write_bytes(synthetic_mail(n))
    (tmp_path / "junk.eml").write_bytes(UNKNOWN_CHARSET)
    import_paths(pipeline, tmp_path)
    data = stats.collect(engine).to_json()
    assert data["mails_total"] == 4
    assert data["mails_parsed"] == 3
    assert data["mails_unparsed"] == 1
    assert data["runs"] == data["runs_unreviewed"] == 3
    assert data["jobs"] == 3


def test_cli_import_stats_export(tmp_path: Path) -> None:
    """The CLI imports with a summary line, prints stats JSON and exports byte for byte."""
    db = tmp_path / "cli.db"
    config = tmp_path / "c.toml"
    config.write_text(f"[database]\nurl = 'sqlite:///{db}'\n")
    raw = UNKNOWN_CHARSET
    (tmp_path / "m.eml").write_bytes(raw)
    runner = CliRunner()
    result = runner.invoke(main, ["--config", str(config), "import", str(tmp_path / "m.eml")])
    assert result.exit_code == 0, result.output
    assert "1 mails seen, 1 new, 0 duplicates skipped" in result.output
    result = runner.invoke(main, ["--config", str(config), "stats", "--json"])
    data = json.loads(result.output)
    for key in (
        "mails_total",
        "mails_parsed",
        "mails_unparsed",
        "mails_ignored",
        "mails_error",
        "customers",
        "jobs",
        "runs",
        "runs_unreviewed",
    ):
        assert key in data
    assert data["mails_unparsed"] == 1
    out = tmp_path / "out.eml"
    result = runner.invoke(main, ["--config", str(config), "export-eml", "1", "-o", str(out)])
    assert result.exit_code == 0
    assert out.read_bytes() == raw
    result = runner.invoke(main, ["--config", str(config), "export-eml", "99"])
    assert result.exit_code == 2
    assert "no mail with id 99" in result.output


def test_override_applies_on_ingest_and_survives_reparse(
    tmp_path: Path, pipeline: Pipeline, engine: Engine
) -> None:
    """A warning on an overridden object arrives as Success (override), shown as such;
    a new failure on another object still reaches the queue as failed."""
    from backupchecks_tui.roles import Actor, Role
    from backupchecks_tui.services import overrides

    admin = Actor("alice", Role.ADMIN)
    spec = OverrideSpec(
        scope="all", match_status="warning", object_name="vm-1", reason="CBT warning, known"
    )
    rule = overrides.create_override(engine, admin, spec)
    (tmp_path / "a.eml").write_bytes(synthetic_mail(1, status="warning", job="j1"))
    (tmp_path / "b.eml").write_bytes(
        synthetic_mail(
            2, status="warning", job="j2", body="object vm-1: warning\nobject vm-9: failed\n"
        )
    )
    import_paths(pipeline, tmp_path)
    with session_scope(engine) as s:
        by_job = {r.message or str(r.job_id): r for r in s.exec(select(JobRun))}
        runs = sorted(by_job.values(), key=lambda r: r.id or 0)
        assert (runs[0].status, runs[0].reported_status) == ("success", "warning")
        assert runs[0].override_id == rule.id
        assert "CBT warning, known" in runs[0].override_reason
        assert runs[1].status == "failed"
    reparse(pipeline, None)
    with session_scope(engine) as s:
        first = s.get(JobRun, runs[0].id)
        assert first is not None and first.status == "success" and first.override_id == rule.id
