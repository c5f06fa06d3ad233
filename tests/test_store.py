"""Store: migrations from empty, models and migrations agree, round trips on both backends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from sqlalchemy import Engine, text
from sqlmodel import select

from store import migrate
from store.engine import make_engine, session_scope
from store.models import (
    AuditEvent,
    Customer,
    ImapState,
    Job,
    JobRun,
    MailMessage,
    Operator,
    Override,
    Remark,
    RunLink,
    RunObject,
    Scope,
    Ticket,
    TimelineEvent,
)

FIVE_TIB = 5 * 2**40
"""A full backup of a file server: beyond a 32-bit INTEGER."""
BIG_UID = 2**32 - 5
"""IMAP UIDVALIDITY and UID are unsigned 32-bit numbers: beyond a signed INTEGER."""


def test_migrations_from_empty_reach_head_and_match_models(db_url: str) -> None:
    """Upgrading an empty database reaches head; autogenerate then finds no difference."""
    engine = make_engine(db_url)
    assert migrate.current_revision(engine) is None
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert migrate.pending_differences(engine) == []
    migrate.upgrade(engine)  # idempotent
    engine.dispose()


def test_upgrade_from_the_first_schema_widens_sizes_and_keeps_rows(db_url: str) -> None:
    """A database made by the first release upgrades in place and then takes big numbers."""
    engine = make_engine(db_url)
    migrate.upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO imap_state (account, folder, uidvalidity, last_uid)"
                " VALUES (:a, :f, 7, 42)"
            ),
            {"a": "ops@example.com", "f": "INBOX"},
        )
    migrate.upgrade(engine)
    assert migrate.pending_differences(engine) == []
    with session_scope(engine) as s:
        state = s.exec(select(ImapState)).one()
        assert (state.uidvalidity, state.last_uid) == (7, 42)
        state.uidvalidity = BIG_UID
    with session_scope(engine) as s:
        assert s.exec(select(ImapState)).one().uidvalidity == BIG_UID
    engine.dispose()


def test_round_trip_every_table(engine: Engine) -> None:
    """Each table stores and returns its rows; datetimes come back aware and equal."""
    cet = timezone(timedelta(hours=1))
    started = datetime(2026, 11, 23, 22, 30, tzinfo=cet)
    with session_scope(engine) as s:
        s.add(Operator(login="alice", role="admin"))
        cust = Customer(name="Acme")
        s.add(cust)
        s.flush()
        job = Job(customer_id=cust.id, product="veeam", job_type="backup", name="Daily", sender="x")
        s.add(job)
        s.flush()
        mail = MailMessage(
            dedupe_key="mid:<1@x>",
            raw_gz=b"\x00" * 10,
            subject="[Success] ü",
            uidvalidity=BIG_UID,
            uid=BIG_UID - 1,
        )
        s.add(mail)
        s.flush()
        assert job.id is not None
        run = JobRun(
            job_id=job.id,
            mail_id=mail.id,
            report_index=0,
            status="warning",
            reported_status="warning",
            started_at=started,
            run_day=date(2026, 11, 23),
            size_bytes=FIVE_TIB,
            transferred_bytes=FIVE_TIB // 3,
        )
        s.add(run)
        s.flush()
        assert run.id is not None
        s.add(RunObject(run_id=run.id, name="vm01", type="vm", status="warning", message="m"))
        s.add(Override(scope="job", job_id=job.id, created_by="alice"))
        ticket = Ticket(number=1, title="t", created_by="alice")
        remark = Remark(body="b", created_by="alice")
        s.add(ticket)
        s.add(remark)
        s.flush()
        s.add(Scope(ticket_id=ticket.id, job_id=job.id))
        s.add(RunLink(ticket_id=ticket.id, run_id=run.id))
        s.add(TimelineEvent(ticket_id=ticket.id, actor="alice", kind="opened"))
        s.add(AuditEvent(actor="alice", action="review", entity="job", entity_id=job.id))
        s.add(ImapState(account="a", folder="INBOX", uidvalidity=BIG_UID, last_uid=42))
    with session_scope(engine) as s:
        got = s.exec(select(JobRun)).one()
        assert got.started_at == started
        assert got.started_at is not None and got.started_at.tzinfo is not None
        assert got.started_at.utcoffset() == timedelta(0)
        assert (got.size_bytes, got.transferred_bytes) == (FIVE_TIB, FIVE_TIB // 3)
        mail_back = s.exec(select(MailMessage)).one()
        assert (mail_back.uidvalidity, mail_back.uid) == (BIG_UID, BIG_UID - 1)
        assert s.exec(select(ImapState)).one().uidvalidity == BIG_UID
        assert s.exec(select(MailMessage)).one().subject == "[Success] ü"
        assert s.exec(select(RunObject)).one().name == "vm01"
        assert s.exec(select(ImapState)).one().last_uid == 42
        for table in (Override, Ticket, Remark, Scope, RunLink, TimelineEvent, AuditEvent):
            assert len(s.exec(select(table)).all()) == 1
        created = s.exec(select(Customer)).one().created_at
        assert abs(created - datetime.now(UTC)) < timedelta(minutes=5)
