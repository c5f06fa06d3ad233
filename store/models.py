"""SQLModel tables for the whole data model (see ARCHITECTURE.md).

Enumerated values are stored as short lowercase strings (portable across SQLite and
PostgreSQL, readable in ad-hoc SQL); the domain enums live in `store.enums`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.types import UTCDateTime, utcnow


def _now_field(*, index: bool = False) -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, index=index)


class Operator(SQLModel, table=True):
    """A person using the app, known by login name, with a role."""

    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(max_length=200, unique=True)
    role: str = Field(max_length=20)
    created_at: datetime = _now_field()


class Customer(SQLModel, table=True):
    """A customer whose jobs are checked."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    active: bool = True
    created_at: datetime = _now_field()


class CustomerRule(SQLModel, table=True):
    """Maps reports to a customer: by sender address, sender domain or job-name regex."""

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    kind: str = Field(max_length=20)  # sender | sender_domain | job_name_regex
    pattern: str = Field(max_length=500)
    priority: int = 100


class Job(SQLModel, table=True):
    """A backup job, identified by product + job name + sender."""

    __table_args__ = (UniqueConstraint("product", "name", "sender", name="uq_job_identity"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    suggested_customer: str = Field(default="", max_length=200)
    product: str = Field(max_length=60)
    job_type: str = Field(default="", max_length=60)
    name: str = Field(max_length=500)
    sender: str = Field(default="", max_length=320)
    active: bool = True
    paused: bool = False
    schedule_kind: str = Field(default="", max_length=30)
    schedule_json: str = Field(default="", sa_type=Text)
    schedule_manual: bool = False
    grace_minutes: int | None = None
    created_at: datetime = _now_field()


class MailMessage(SQLModel, table=True):
    """One stored mail: metadata, decoded bodies, the raw message (zlib) and its parse state.

    `dedupe_key` is `<id_key> sha256:<content_hash>`, or `sha256:<content_hash>` when the
    mail has no Message-ID; its unique index makes ingest idempotent and crash-safe. The
    content hash is taken with line endings and transport headers normalised, so the same
    mail from a file and over IMAP is one mail, while a reused Message-ID with other
    content is a mail of its own (`reused_id`). Mails stored before revision 0003 keep
    their old key (`mid:<Message-ID>`, or a hash of the raw bytes) and no content hash.
    """

    __tablename__ = "mail_message"
    __table_args__ = (Index("ix_mail_imap_location", "account", "folder", "uidvalidity", "uid"),)

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=1000, unique=True)
    message_id: str = Field(default="", max_length=1000)
    source: str = Field(default="file", max_length=10)  # imap | file
    account: str = Field(default="", max_length=320)
    folder: str = Field(default="", max_length=500)
    uidvalidity: int | None = Field(default=None, sa_type=BigInteger)  # IMAP: unsigned 32 bits
    uid: int | None = Field(default=None, sa_type=BigInteger)
    source_path: str = Field(default="", max_length=2000)
    from_addr: str = Field(default="", max_length=320)
    to_addr: str = Field(default="", sa_type=Text)
    subject: str = Field(default="", sa_type=Text)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    received_at: datetime = _now_field()
    raw_size: int = Field(default=0, sa_type=BigInteger)
    raw_gz: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    text_body: str = Field(default="", sa_type=Text)
    html_body: str = Field(default="", sa_type=Text)
    parse_state: str = Field(default="unparsed", max_length=10, index=True)
    parse_reason: str = Field(default="", sa_type=Text)
    parser_name: str = Field(default="", max_length=100)
    parser_version: str = Field(default="", max_length=20)
    parsed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    id_key: str = Field(default="", max_length=1000, index=True)
    """`mid:<Message-ID>` (or `mid-sha256:` of a long one); empty without a Message-ID."""
    content_hash: str = Field(default="", max_length=64)
    reused_id: bool = False
    """Another, different mail with this Message-ID was stored before this one."""


class ImapPending(SQLModel, table=True):
    """A mail stored locally whose `after_fetch` action (flag or move) the server has not had.

    Written in the same transaction as the mail, deleted once the server confirmed the
    action, so a crash in between leaves the work for the next pass, never loses it.
    """

    __tablename__ = "imap_pending"
    __table_args__ = (
        UniqueConstraint("account", "folder", "uidvalidity", "uid", name="uq_imap_pending"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account: str = Field(max_length=320)
    folder: str = Field(max_length=500)
    uidvalidity: int = Field(sa_type=BigInteger)
    uid: int = Field(sa_type=BigInteger)
    created_at: datetime = _now_field()


class JobRun(SQLModel, table=True):
    """One run of a job: from a report (mail + report index) or synthetic (Missed)."""

    __tablename__ = "job_run"
    __table_args__ = (
        UniqueConstraint("mail_id", "report_index", name="uq_run_mail_report"),
        Index("ix_run_queue", "reviewed_at", "job_id"),
        Index("ix_run_job_day", "job_id", "run_day"),
        Index("ix_run_day", "run_day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="job.id")
    mail_id: int | None = Field(default=None, foreign_key="mail_message.id")
    report_index: int | None = None
    status: str = Field(max_length=10)  # effective: success | warning | failed | missed
    reported_status: str = Field(max_length=10)  # as the report (or missed detection) said
    override_id: int | None = Field(default=None, foreign_key="override.id")
    override_reason: str = Field(default="", sa_type=Text)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    run_day: date
    expected_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    message: str = Field(default="", sa_type=Text)
    size_bytes: int | None = Field(default=None, sa_type=BigInteger)  # backups exceed 2 GiB
    transferred_bytes: int | None = Field(default=None, sa_type=BigInteger)
    object_count: int = 0
    problem_count: int = 0
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reviewed_by: str = Field(default="", max_length=200)
    marked_success_by: str = Field(default="", max_length=200)
    marked_success_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_by_run_id: int | None = None
    created_at: datetime = _now_field()


class RunObject(SQLModel, table=True):
    """One object (VM, host, file set, mailbox…) of a run, with its own status."""

    __tablename__ = "run_object"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="job_run.id", index=True)
    name: str = Field(sa_type=Text)
    type: str = Field(default="", max_length=60)
    status: str = Field(max_length=10)
    message: str = Field(default="", sa_type=Text)


class Override(SQLModel, table=True):
    """A rule that turns matching warnings/failures into Success (override)."""

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=10)  # run | job | all
    job_id: int | None = Field(default=None, foreign_key="job.id", index=True)
    # No foreign key: job_run already points here (override_id); a cycle would break DDL order.
    run_id: int | None = None
    match_status: str = Field(default="any", max_length=10)  # warning | failed | any
    object_name: str = Field(default="", sa_type=Text)
    text_match: str = Field(default="contains", max_length=10)
    text_pattern: str = Field(default="", sa_type=Text)
    valid_from: datetime = _now_field()
    valid_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by: str = Field(max_length=200)
    created_at: datetime = _now_field()
    reason: str = Field(default="", sa_type=Text)
    source_run_id: int | None = None
    active: bool = True
    hit_count: int = 0
    last_hit_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Ticket(SQLModel, table=True):
    """Formal follow-up of a problem (#number for people, code e.g. a PSA number)."""

    id: int | None = Field(default=None, primary_key=True)
    number: int = Field(unique=True)
    code: str = Field(default="", max_length=200, index=True)
    title: str = Field(max_length=500)
    description: str = Field(default="", sa_type=Text)
    state: str = Field(default="open", max_length=20, index=True)
    on_hold_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    active_from: datetime = _now_field()
    created_at: datetime = _now_field()
    created_by: str = Field(max_length=200)
    source: str = Field(default="user", max_length=20)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_by: str = Field(default="", max_length=200)
    close_category: str = Field(default="", max_length=100)
    close_outcome: str = Field(default="", max_length=20)
    merged_into_id: int | None = Field(default=None, foreign_key="ticket.id")


class Remark(SQLModel, table=True):
    """A light note on a customer, job or object."""

    id: int | None = Field(default=None, primary_key=True)
    body: str = Field(sa_type=Text)
    created_at: datetime = _now_field()
    created_by: str = Field(max_length=200)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_by: str = Field(default="", max_length=200)


class Scope(SQLModel, table=True):
    """What a ticket or remark covers: a customer, a job, or an object name (with a job)."""

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", index=True)
    remark_id: int | None = Field(default=None, foreign_key="remark.id", index=True)
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    job_id: int | None = Field(default=None, foreign_key="job.id", index=True)
    object_name: str = Field(default="", sa_type=Text)


class RunLink(SQLModel, table=True):
    """A run linked to a ticket or remark (kind: linked | reprocessed)."""

    __tablename__ = "run_link"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", index=True)
    remark_id: int | None = Field(default=None, foreign_key="remark.id", index=True)
    run_id: int = Field(foreign_key="job_run.id", index=True)
    kind: str = Field(default="linked", max_length=20)
    created_at: datetime = _now_field()
    created_by: str = Field(default="", max_length=200)


class TimelineEvent(SQLModel, table=True):
    """One event in the life of a ticket or remark."""

    __tablename__ = "timeline_event"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", index=True)
    remark_id: int | None = Field(default=None, foreign_key="remark.id", index=True)
    at: datetime = _now_field()
    actor: str = Field(max_length=200)
    kind: str = Field(max_length=30)
    details: str = Field(default="", sa_type=Text)


class AuditEvent(SQLModel, table=True):
    """An audited action: who did what, when, with before/after as JSON."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _now_field(index=True)
    actor: str = Field(max_length=200)
    action: str = Field(max_length=50, index=True)
    entity: str = Field(max_length=30)
    entity_id: int | None = None
    details: str = Field(default="", sa_type=Text)


class ImapState(SQLModel, table=True):
    """Remembered fetch position per IMAP account and folder."""

    __tablename__ = "imap_state"
    __table_args__ = (UniqueConstraint("account", "folder", name="uq_imap_state"),)

    id: int | None = Field(default=None, primary_key=True)
    account: str = Field(max_length=320)
    folder: str = Field(max_length=500)
    uidvalidity: int = Field(default=0, sa_type=BigInteger)  # IMAP: unsigned 32 bits
    last_uid: int = Field(default=0, sa_type=BigInteger)
    last_fetch_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
