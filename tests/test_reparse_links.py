"""Re-parse never breaks a ticket or remark link, and one mail's error never stops it.

The mails are synthetic (tests/mailfactory.py); "the parser improved" is played by
re-parsing with another synthetic parser, or with none.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from zoneinfo import ZoneInfo

from click.testing import CliRunner
from sqlalchemy import Engine, update
from sqlmodel import col, select

from backupchecks_tui.cli import main
from backupchecks_tui.database import open_database
from backupchecks_tui.ingest.pipeline import Ingested, Origin, Pipeline
from backupchecks_tui.roles import Actor, Role
from backupchecks_tui.services import remarks, tickets
from backupchecks_tui.services.reparse import reparse
from backupchecks_tui.views.items import ScopeSpec
from parsers import MailView, Registry, Report
from store.engine import session_scope
from store.models import JobRun, MailMessage, Override, RunLink
from tests.mailfactory import SyntheticParser, synthetic_mail

ZONE = ZoneInfo("Europe/Amsterdam")
OLGA = Actor("olga", Role.OPERATOR)


class TwoReportParser(SyntheticParser):
    """The synthetic parser as an older version that read each mail as two reports of
    the same job (a summary and a detail, say)."""

    version = "0"

    def parse(self, mail: MailView) -> list[Report]:
        """The one report, and a second copy of it."""
        (report,) = super().parse(mail)
        return [report, dataclasses.replace(report, message="detail")]


def ingest(engine: Engine, registry: Registry, raws: list[bytes]) -> list[Ingested]:
    """Store `raws` through the real pipeline."""
    pipeline = Pipeline(engine, registry, ZONE)
    return [pipeline.ingest(raw, Origin(path=f"mail-{n}.eml")) for n, raw in enumerate(raws)]


def runs_of(engine: Engine, mail_id: int) -> list[tuple[int, int]]:
    """(report index, run id) of a mail's runs."""
    with session_scope(engine) as s:
        rows = s.exec(select(JobRun).where(JobRun.mail_id == mail_id)).all()
        return sorted((r.report_index or 0, r.id or 0) for r in rows)


def link_both(engine: Engine, run_id: int) -> tuple[int, int]:
    """A ticket and a remark on the run's job, each linked to the run."""
    with session_scope(engine) as s:
        run = s.get(JobRun, run_id)
        assert run is not None
        job_id = run.job_id
    ticket = tickets.open_ticket(
        engine, OLGA, "vm-1 fails", scopes=[ScopeSpec.job(job_id)], run_ids=[run_id]
    )
    remark = remarks.add_remark(engine, OLGA, "known flaky", [ScopeSpec.job(job_id)], [run_id])
    return ticket.id, remark.id


def linked_runs(engine: Engine) -> list[tuple[str, int]]:
    """Every link as (owner, run id), the run checked to exist."""
    with session_scope(engine) as s:
        found = []
        for link in s.exec(select(RunLink).order_by(col(RunLink.id))).all():
            assert s.get(JobRun, link.run_id) is not None, "a link points at no run"
            found.append(("ticket" if link.ticket_id else "remark", link.run_id))
        return found


def test_linked_run_whose_report_is_gone_is_kept(engine: Engine) -> None:
    """The mail no longer parses (no parser knows it now): its linked run stays, and
    the ticket and remark keep it; the pass finishes."""
    (linked, other) = ingest(
        engine, Registry([SyntheticParser()]), [synthetic_mail(1), synthetic_mail(2)]
    )
    ((_, run_id),) = runs_of(engine, linked.mail_id)
    ticket_id, remark_id = link_both(engine, run_id)
    counts = reparse(Pipeline(engine, Registry([]), ZONE), None)
    assert counts == {"unparsed": 2}
    assert runs_of(engine, linked.mail_id) == [(0, run_id)]
    assert runs_of(engine, other.mail_id) == []  # nothing pointed at that one: gone
    assert linked_runs(engine) == [("ticket", run_id), ("remark", run_id)]
    detail = tickets.ticket_detail(engine, ticket_id)
    assert [r.run_id for r in detail.runs] == [run_id]
    assert [r.run_id for r in remarks.remark_detail(engine, remark_id).runs] == [run_id]


def test_links_move_to_the_run_that_replaces_it(engine: Engine) -> None:
    """Two reports become one: the links (and a run override) of the dropped run move
    to the remaining run of the same job, without doubling a link it has already."""
    (mail,) = ingest(engine, Registry([TwoReportParser()]), [synthetic_mail(3, status="failed")])
    ((_, first), (_, second)) = runs_of(engine, mail.mail_id)
    link_both(engine, second)
    tickets.link_run(engine, OLGA, tickets.list_tickets(engine)[0].id, first)
    with session_scope(engine) as s:
        job_id = s.exec(select(JobRun.job_id).where(JobRun.id == second)).one()
        s.add(
            Override(
                scope="run", job_id=job_id, run_id=second, source_run_id=second, created_by="o"
            )
        )
    counts = reparse(Pipeline(engine, Registry([SyntheticParser()]), ZONE), [mail.mail_id])
    assert counts == {"parsed": 1}
    assert runs_of(engine, mail.mail_id) == [(0, first)]
    assert sorted(linked_runs(engine)) == [("remark", first), ("ticket", first)]
    with session_scope(engine) as s:
        override = s.exec(select(Override)).one()
        assert (override.run_id, override.source_run_id) == (first, first)


def test_one_damaged_mail_does_not_stop_the_pass(engine: Engine) -> None:
    """A mail whose stored copy is damaged goes to the Inbox as an error with the reason,
    keeps its run, and the mails after it are re-parsed."""
    done = ingest(engine, Registry([]), [synthetic_mail(n) for n in range(4)])
    with session_scope(engine) as s:
        s.exec(
            update(MailMessage)
            .where(col(MailMessage.id) == done[1].mail_id)
            .values(raw_gz=b"not zlib")
        )
    failures: list[str] = []
    counts = reparse(Pipeline(engine, Registry([SyntheticParser()]), ZONE), None, None, failures)
    assert counts == {"parsed": 3, "error": 1}
    with session_scope(engine) as s:
        damaged = s.get(MailMessage, done[1].mail_id)
        assert damaged is not None
        assert damaged.parse_state == "error"
        assert "decompressing" in damaged.parse_reason
    assert [len(runs_of(engine, d.mail_id)) for d in done] == [1, 0, 1, 1]


def test_cli_reparse_all_with_ticket_links(tmp_path: Path) -> None:
    """`reparse --all` over runs linked to tickets: no traceback, the links stay, a
    damaged mail goes to the Inbox as an error after the others are done."""
    url = f"sqlite:///{tmp_path / 'x.db'}"
    config = tmp_path / "c.toml"
    config.write_text(f"[database]\nurl = '{url}'\n")
    engine = open_database(url)
    done = ingest(engine, Registry([SyntheticParser()]), [synthetic_mail(n) for n in range(3)])
    ((_, run_id),) = runs_of(engine, done[0].mail_id)
    link_both(engine, run_id)
    engine.dispose()
    result = CliRunner().invoke(main, ["--config", str(config), "reparse", "--all"])
    assert result.exit_code == 0, result.output
    assert "re-parsed 3 mails: 3 unparsed" in result.output
    assert "Traceback" not in result.output
    engine = open_database(url)
    assert linked_runs(engine) == [("ticket", run_id), ("remark", run_id)]
    with session_scope(engine) as s:
        s.exec(
            update(MailMessage)
            .where(col(MailMessage.id) == done[1].mail_id)
            .values(raw_gz=b"not zlib")
        )
    engine.dispose()
    result = CliRunner().invoke(main, ["--config", str(config), "reparse", "--all"])
    assert "re-parsed 3 mails: 1 error, 2 unparsed" in result.output
    assert "Traceback" not in result.output
