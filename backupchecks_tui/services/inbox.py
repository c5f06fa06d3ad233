"""The unparsed inbox: mail no parser turned into runs (unparsed, ignored, error).

Nothing here deletes mail: ignoring only changes its state, re-parsing can always bring
it back, and assigning a sender to a customer adds a mapping rule.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import Engine, update
from sqlalchemy import select as select_columns
from sqlmodel import col, func, or_, select

from backupchecks_tui.domain import ParseState
from backupchecks_tui.errors import NotFound
from backupchecks_tui.ingest.pipeline import Pipeline, raw_message
from backupchecks_tui.roles import Action, Actor, require
from backupchecks_tui.safe_text import storable
from backupchecks_tui.services import audit, customers
from backupchecks_tui.services.checks import REUSED_ID_NOTE
from backupchecks_tui.services.mail_body import raw_as_text, readable_body
from backupchecks_tui.services.reparse import reparse
from backupchecks_tui.views.admin import INBOX_STATES, InboxRow
from store.engine import read_scope, session_scope
from store.models import MailMessage

PAGE = 500
MAX_HEADER = 2_000
"""Characters of one header line shown above the body."""


def list_mails(
    engine: Engine, states: Iterable[str] = INBOX_STATES, text: str = "", limit: int = PAGE
) -> tuple[list[InboxRow], int]:
    """Newest inbox mails first (at most `limit`) and how many there are in all."""
    # Only the listed columns: a page of 500 mails must not load 500 raw messages and
    # bodies (a 20 MB mail among them would take the memory and the time).
    columns = (
        col(MailMessage.id),
        col(MailMessage.parse_state),
        col(MailMessage.from_addr),
        col(MailMessage.subject),
        col(MailMessage.sent_at),
        col(MailMessage.parse_reason),
        col(MailMessage.parser_name),
    )
    query = select_columns(*columns).where(col(MailMessage.parse_state).in_(sorted(states)))
    if text:
        like = f"%{text.lower()}%"
        query = query.where(
            or_(
                func.lower(MailMessage.subject).like(like),
                func.lower(MailMessage.from_addr).like(like),
                func.lower(MailMessage.parse_reason).like(like),
            )
        )
    with read_scope(engine) as session:
        total = session.exec(select(func.count()).select_from(query.subquery())).one()
        rows = session.execute(query.order_by(col(MailMessage.id).desc()).limit(limit)).all()
        return [InboxRow(*row) for row in rows], total


def mail_text(engine: Engine, mail_id: int) -> str:
    """The mail as a person reads it: main headers, then the body as text (still raw).

    Built from what ingest stored, never by parsing the raw message again: a mail
    nested 1,000 multiparts deep or 20 MB large opens as promptly as any other (the
    body is cut, see `mail_body`). A mail no body could be taken from shows the start
    of its raw source instead.
    """
    with read_scope(engine) as session:
        mail = session.get(MailMessage, mail_id)
        if mail is None:
            raise NotFound(f"There is no mail with id {mail_id}.")
        head = [
            f"From:    {mail.from_addr[:MAX_HEADER]}",
            f"To:      {mail.to_addr[:MAX_HEADER]}",
            f"Subject: {mail.subject[:MAX_HEADER]}",
            f"Date:    {mail.sent_at.isoformat() if mail.sent_at else '—'}",
            f"State:   {mail.parse_state} {mail.parser_name}".rstrip(),
            f"Reason:  {mail.parse_reason[:MAX_HEADER] or '—'}",
        ]
        if mail.reused_id:
            head.append(f"Note:    {REUSED_ID_NOTE}")
        head.append("")
        body = readable_body(mail.text_body, mail.html_body)
        if not body:
            raw = raw_as_text(mail.raw_gz)
            body = f"(no text part could be read; the raw message:)\n{raw}" if raw else ""
        return "\n".join(head) + (body or "(empty body)")


def reparse_mails(pipeline: Pipeline, actor: Actor, mail_ids: list[int] | None) -> Counter[str]:
    """Re-parse the given mails (all inbox mails when None)."""
    require(actor, Action.REPARSE)
    if mail_ids is None:
        with read_scope(pipeline.engine) as session:
            ids = session.exec(
                select(MailMessage.id).where(col(MailMessage.parse_state).in_(INBOX_STATES))
            ).all()
            mail_ids = [i for i in ids if i is not None]
    counts = reparse(pipeline, mail_ids)
    with session_scope(pipeline.engine) as session:
        audit.record(session, actor, "inbox.reparse", "mail", None, mails=len(mail_ids))
    return counts


def ignore_mails(engine: Engine, actor: Actor, mail_ids: list[int], reason: str) -> int:
    """Mark mails as not backup reports (kept, and re-parse can still bring them back)."""
    require(actor, Action.REPARSE)
    note = storable(f"ignored by {actor.login}: {reason or 'no reason given'}")
    with session_scope(engine) as session:
        result = session.execute(
            update(MailMessage)
            .where(col(MailMessage.id).in_(mail_ids))
            .values(parse_state=ParseState.IGNORED, parse_reason=note)
        )
        for mail_id in mail_ids:
            audit.record(session, actor, "inbox.ignore", "mail", mail_id, reason=reason)
        return int(getattr(result, "rowcount", 0) or 0)


def assign_sender(engine: Engine, actor: Actor, mail_id: int, customer_name: str) -> str:
    """Map the sender domain of a mail to a customer (created when new); returns the domain.

    The rule also assigns existing Unassigned jobs from that domain.
    """
    require(actor, Action.MANAGE_CUSTOMERS)
    with session_scope(engine) as session:
        mail = session.get(MailMessage, mail_id)
        if mail is None:
            raise NotFound(f"There is no mail with id {mail_id}.")
        domain = mail.from_addr.rpartition("@")[2]
        if not domain:
            raise NotFound("This mail has no sender address to map.")
        customer = customers.get_or_create(session, customer_name.strip())
        customers.add_rule(session, customer, "sender_domain", domain)
        audit.record(
            session, actor, "customer.rule", "customer", customer.id, domain=domain, mail=mail_id
        )
        return domain


def export_mail(engine: Engine, mail_id: int, path: Path) -> int:
    """Write the original message `mail_id` byte for byte to `path`; bytes written."""
    with read_scope(engine) as session:
        mail = session.get(MailMessage, mail_id)
        if mail is None:
            raise NotFound(f"There is no mail with id {mail_id}.")
        raw = raw_message(mail)
    path.write_bytes(raw)
    return len(raw)
