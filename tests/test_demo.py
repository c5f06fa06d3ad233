"""The demo database (`backupchecks-tui --demo`): built through the real ingest pipeline.

One build into a temporary SQLite file is shared by the tests of this module; `today` is
pinned to a Monday so the queue is the scenario's Monday morning.
"""

from __future__ import annotations

import hashlib
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import col, select

from backupchecks_tui.database import open_database
from backupchecks_tui.demo import DemoSummary, build_demo
from backupchecks_tui.demo import catalogue as demo_catalogue
from backupchecks_tui.demo.catalogue import CatalogueError, Schedule, catalogue, load
from backupchecks_tui.demo.generators import (
    DEMO_HEADER,
    GENERATORS,
    UNPARSED_PREFIX,
    DemoObject,
    DemoRun,
)
from backupchecks_tui.demo.scenario import Scenario, build_scenario
from backupchecks_tui.domain import ParseState, RunStatus, TicketState
from backupchecks_tui.services import coverage
from parsers import Outcome, Status, default_registry
from store.engine import session_scope
from store.models import (
    Customer,
    CustomerRule,
    Job,
    JobRun,
    MailMessage,
    Remark,
    RunObject,
    Ticket,
)

MONDAY = date(2025, 6, 2)


@dataclass(frozen=True)
class Built:
    """The shared demo build: where it is, what it returned, how long it took."""

    url: str
    summary: DemoSummary
    seconds: float
    progress: list[tuple[int, int]]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Build the demo once for the module."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    url = f"sqlite:///{path}"
    seen: list[tuple[int, int]] = []
    started = time.perf_counter()
    summary = build_demo(url, MONDAY, lambda done, total: seen.append((done, total)))
    seconds = time.perf_counter() - started
    print(f"\ndemo build: {seconds:.1f} s, {summary}")  # noqa: T201 - the time is reported
    return Built(url, summary, seconds, seen)


@pytest.fixture
def engine(built: Built) -> Iterator[Engine]:
    """An engine on the built demo database."""
    eng = open_database(built.url)
    yield eng
    eng.dispose()


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    """The scenario the build used."""
    return build_scenario(MONDAY)


def test_sizes(built: Built) -> None:
    """Enough customers, jobs and mails for a believable MSP, and not too many."""
    s = built.summary
    assert s.customers >= 30
    assert s.jobs >= 150
    assert 2000 <= s.mails <= 2500
    assert s.runs >= s.mails - s.unparsed
    assert s.new_mails == s.mails
    assert built.progress[-1] == (s.mails, s.mails)
    assert len(built.progress) == s.mails


def test_fourteen_days_of_history(engine: Engine) -> None:
    """Runs on each of the 14 days up to and including `today`."""
    with session_scope(engine) as session:
        days = set(session.exec(select(col(JobRun.run_day)).distinct()).all())
    assert days == {MONDAY - timedelta(days=n) for n in range(14)}


def test_statuses_products_and_object_problems(engine: Engine) -> None:
    """All statuses, at least six products, and single failing objects in big jobs."""
    with session_scope(engine) as session:
        statuses = set(session.exec(select(JobRun.status).distinct()).all())
        products = set(session.exec(select(Job.product).distinct()).all())
        lone_failures = session.exec(
            select(JobRun.id).where(
                col(JobRun.object_count) >= 10,
                col(JobRun.problem_count) == 1,
                col(JobRun.status) == RunStatus.FAILED,
            )
        ).all()
        object_problems = session.exec(
            select(func.count())
            .select_from(RunObject)
            .where(col(RunObject.status) != RunStatus.SUCCESS)
        ).one()
    assert {RunStatus.SUCCESS, RunStatus.WARNING, RunStatus.FAILED} <= statuses
    assert len(products) >= 6
    assert lone_failures, "one VM of a big job failing is part of the scenario"
    assert object_problems > 20


def test_every_demo_mail_parsed_except_the_deliberate_ones(engine: Engine) -> None:
    """All mails are synthetic and parsed, but for three clearly named unparseable ones."""
    with session_scope(engine) as session:
        rows = session.exec(
            select(MailMessage.message_id, MailMessage.parse_state, MailMessage.parse_reason)
        ).all()
    assert all(mid.endswith("@backupchecks.invalid>") for mid, _, _ in rows)
    assert all(mid.startswith("<demo-") for mid, _, _ in rows)
    wrong = [
        (m, s, r)
        for m, s, r in rows
        if not m.startswith(UNPARSED_PREFIX) and s != ParseState.PARSED
    ]
    assert wrong == []
    deliberate = [s for m, s, _ in rows if m.startswith(UNPARSED_PREFIX)]
    assert deliberate == [ParseState.UNPARSED] * 3


def test_mails_carry_the_demo_header(scenario: Scenario) -> None:
    """Every generated mail says it is synthetic."""
    marker = f"{DEMO_HEADER}: synthetic".encode()
    assert all(marker in mail.raw for mail in scenario.mails)


def test_jobs_are_mapped_to_customers(engine: Engine, scenario: Scenario) -> None:
    """Sender-domain (and host) rules map every job but the one left Unassigned."""
    unmapped = [j for j in scenario.jobs if j.unmapped]
    with session_scope(engine) as session:
        orphans = session.exec(select(Job.name).where(col(Job.customer_id).is_(None))).all()
        domain_rules = session.exec(
            select(func.count())
            .select_from(CustomerRule)
            .where(col(CustomerRule.kind) == "sender_domain")
        ).one()
    assert sorted(orphans) == sorted(j.job for j in unmapped)
    assert len(unmapped) == 1
    assert domain_rules == len(scenario.customers)


def test_queue_is_a_believable_monday_morning(engine: Engine, built: Built) -> None:
    """Old runs are reviewed; some 40-80 jobs wait, with failures, warnings and successes."""
    assert 40 <= built.summary.queue_jobs <= 80
    cutoff = MONDAY - timedelta(days=1)
    with session_scope(engine) as session:
        old_open = session.exec(
            select(func.count())
            .select_from(JobRun)
            .where(col(JobRun.reviewed_at).is_(None), col(JobRun.run_day) < cutoff)
        ).one()
        open_statuses = set(
            session.exec(
                select(JobRun.status).where(col(JobRun.reviewed_at).is_(None)).distinct()
            ).all()
        )
        latest = session.exec(select(func.max(MailMessage.sent_at))).one()
    assert old_open == 0
    assert {RunStatus.SUCCESS, RunStatus.WARNING, RunStatus.FAILED} <= open_statuses
    assert latest is not None
    assert latest <= datetime(2025, 6, 2, 7, 30, tzinfo=UTC)


def test_building_twice_adds_nothing(built: Built, scenario: Scenario) -> None:
    """A second build into the same database changes no count."""
    again = build_demo(built.url, MONDAY)
    first = built.summary
    assert again.new_mails == 0
    assert again.reviewed_runs == 0
    assert (again.customers, again.jobs, again.runs, again.mails, again.unparsed) == (
        first.customers,
        first.jobs,
        first.runs,
        first.mails,
        first.unparsed,
    )
    assert (again.queue_jobs, again.queue_runs) == (first.queue_jobs, first.queue_runs)
    engine = open_database(built.url)
    try:
        with session_scope(engine) as session:
            customers = session.exec(select(func.count()).select_from(Customer)).one()
            rules = session.exec(select(func.count()).select_from(CustomerRule)).one()
    finally:
        engine.dispose()
    host_rules = sum(len(scenario.host_rules(c)) for c in scenario.customers)
    assert customers == first.customers == len(scenario.customers)
    assert rules == len(scenario.customers) + host_rules


_KIND_PARSER = {
    "veeam-backup": "veeam",
    "veeam-copy": "veeam",
    "veeam-agent": "veeam",
    "veeam-m365": "veeam",
    "pve-vzdump": "proxmox-vzdump",
    "pbs-verify": "proxmox-backup-server",
    "pbs-gc": "proxmox-backup-server",
    "syno-hyperbackup": "synology-hyper-backup",
    "syno-abb": "synology-active-backup",
    "bareos": "bareos",
    "duplicati": "duplicati",
    "xo-backup": "xen-orchestra",
    "urbackup": "urbackup-report",
    "nakivo": "nakivo",
    "acronis": "acronis",
}
_NO_WARNING = {"pve-vzdump", "pbs-verify", "pbs-gc"}


_CASES = [
    (kind, status)
    for kind in sorted(_KIND_PARSER)
    for status in (RunStatus.SUCCESS, RunStatus.WARNING, RunStatus.FAILED)
    if not (kind in _NO_WARNING and status == RunStatus.WARNING)  # no warning in those
]


@pytest.mark.parametrize(("kind", "status"), _CASES)
def test_each_generator_parses_with_its_status(kind: str, status: RunStatus) -> None:
    """Every product builder yields a mail its parser reads, with the status it was given."""
    start = datetime(2025, 6, 1, 22, 0, 3, tzinfo=UTC)
    objects: tuple[DemoObject, ...] = ()
    if kind in {"veeam-backup", "veeam-copy", "veeam-agent", "veeam-m365", "pve-vzdump"}:
        bad = DemoObject("SRV02", status, "Failed to create VM snapshot: timeout")
        objects = (DemoObject("SRV01"), bad if status.is_problem else DemoObject("SRV02"))
    elif kind in {"xo-backup", "nakivo"}:
        objects = (DemoObject("vm-a"), DemoObject("vm-b", status, "ENOSPC: no space left"))
    run = DemoRun(
        sender="backup@acme.example",
        host="acme-host01",
        job="Nightly",
        start=start,
        status=status,
        objects=objects,
        message="Not enough free space on repository" if status.is_problem else "",
    )
    raw = GENERATORS[kind](run)
    assert raw == GENERATORS[kind](run), "builders are deterministic"
    result = default_registry().parse_bytes(raw)
    assert result.outcome is Outcome.PARSED, result.reason
    assert result.parser == _KIND_PARSER[kind]
    (report,) = result.reports
    rolled = Status.worst([report.status, *(o.status for o in report.objects)])
    assert rolled.value == status


@pytest.mark.parametrize("kind", [k for k in GENERATORS if k.startswith("unparsed-")])
def test_deliberate_mails_are_not_parsed(kind: str) -> None:
    """The Inbox fodder really is unparseable (no parser claims it)."""
    run = DemoRun("someone@acme.example", "ACME-PC", "Hello", datetime(2025, 6, 1, tzinfo=UTC))
    raw = GENERATORS[kind](run)
    assert default_registry().parse_bytes(raw).outcome is Outcome.UNPARSED


def test_demo_has_the_teams_tickets_and_remarks(engine: Engine, built: Built) -> None:
    """Tickets in progress, on hold and resolved, two remarks; once, however often built."""
    build_demo(built.url, MONDAY)  # a second build must not add them again
    with session_scope(engine) as session:
        states = sorted(session.exec(select(Ticket.state)).all())
        codes = set(session.exec(select(Ticket.code)).all())
        notes = session.exec(select(func.count()).select_from(Remark)).one()
        nas = session.exec(select(Job.id).where(Job.name == "Backup Copy NAS")).one()
    assert states == [TicketState.IN_PROGRESS, TicketState.ON_HOLD, TicketState.RESOLVED]
    assert {"PSA-20931", "PSA-20877"} <= codes
    assert notes == 2
    assert nas is not None
    assert coverage.markers(engine, [nas])[nas] == (True, False)


SCENARIO_DIGEST = "b9644c8081f79a804bd806a27d942548171710b5ec1853baca71d94fd90260a0"
"""SHA-256 of the Message-IDs and bytes of every mail of the scenario of `MONDAY` (UTC).

The demo's catalogue moved from Python to data files (customers.toml, products.toml) with
this digest unchanged. A change to the catalogue, the scenario or a report builder that
is meant to change the demo's mails updates it (print the new one from this test)."""


def test_the_scenario_mails_are_byte_for_byte_stable(scenario: Scenario) -> None:
    """The same `today` gives the same mails (and the data files say what the code said)."""
    digest = hashlib.sha256()
    for mail in scenario.mails:
        digest.update(mail.message_id.encode())
        digest.update(mail.raw)
    assert len(scenario.mails) == 2093
    assert digest.hexdigest() == SCENARIO_DIGEST, digest.hexdigest()


def test_schedules_read_what_they_label() -> None:
    """A schedule label of the data files reads back as the schedule it shows."""
    for job in catalogue().jobs:
        assert Schedule.parse(job.schedule.label) == job.schedule
    weekly = Schedule.parse("weekly Mon,Thu 02:00+14:30")
    assert weekly.days == frozenset({0, 3})
    assert weekly.label == "weekly Mon,Thu 02:00+14:30"
    with pytest.raises(CatalogueError, match="unknown schedule"):
        Schedule.parse("fortnightly 02:00")


def _data(name: str) -> dict[str, object]:
    """A data file of the catalogue, parsed."""
    path = Path(demo_catalogue.__file__).with_name(name)
    return tomllib.loads(path.read_text(encoding="utf-8"))


def test_catalogue_mistakes_name_where_they_are() -> None:
    """A typo in a data file is refused with the customer and job it is in."""
    products = _data("products.toml")
    customers = _data("customers.toml")
    follow_up = _data("follow_up.toml")
    assert load(customers, products, follow_up) == catalogue()
    follow_up["remark"]["pos"]["job"] = "POS-Backups"  # type: ignore[index]
    with pytest.raises(CatalogueError, match=r"remark.pos: no job 'POS-Backups'"):
        load(customers, products, follow_up)
    first = customers["customer"][0]  # type: ignore[index]
    first["job"][0]["minuets"] = 5
    with pytest.raises(CatalogueError, match=r"Harbor Dental Group, veeam-backup .*minuets"):
        load(customers, products)
    del first["job"][0]["minuets"]
    first["job"][0]["kind"] = "veeam-backpu"
    with pytest.raises(CatalogueError, match="unknown product 'veeam-backpu'"):
        load(customers, products)
    first["job"][0]["kind"] = "veeam-backup"
    first["job"][0]["issue"] = [{"status": "warning", "message": "{no_such_text}"}]
    with pytest.raises(CatalogueError, match="no_such_text"):
        load(customers, products)
    first["job"][0]["issue"] = [{"status": "success", "message": "fine"}]
    with pytest.raises(CatalogueError, match="'warning' or 'failed'"):
        load(customers, products)
    products["product"]["veeam-backup2"] = {"sender": "x@{domain}", "identity": "sender"}  # type: ignore[index]
    with pytest.raises(CatalogueError, match="veeam-backup2: no report builder"):
        load(customers, products)
