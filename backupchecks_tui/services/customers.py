"""Customers and the rules that map jobs to them (sender, sender domain, job-name regex)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from backupchecks_tui.errors import NotFound
from backupchecks_tui.roles import Action, Actor, require
from backupchecks_tui.services import audit
from store.engine import read_scope, session_scope
from store.models import Customer, CustomerRule, Job

UNASSIGNED = "Unassigned"


def suggest_customer(sender: str) -> str:
    """A customer name suggested by a sender address or host: its organisation label."""
    domain = sender.rpartition("@")[2].lower().strip(".")
    labels = [label for label in domain.split(".") if label]
    if len(labels) >= 2:
        # second-level label; skip generic second levels such as co.uk / com.au
        generic = {"co", "com", "net", "org", "ac", "gov"}
        return labels[-3] if len(labels) >= 3 and labels[-2] in generic else labels[-2]
    return labels[0] if labels else ""


def match_customer(session: Session, job_name: str, sender: str) -> int | None:
    """The customer id the mapping rules give for a job, or None (Unassigned)."""
    rules = session.exec(
        select(CustomerRule).order_by(col(CustomerRule.priority), col(CustomerRule.id))
    ).all()
    return match_rules([(r.customer_id, r.kind, r.pattern) for r in rules], job_name, [sender])


def match_rules(
    rules: Sequence[tuple[int, str, str]], job_name: str, senders: Sequence[str]
) -> int | None:
    """Apply (customer_id, kind, pattern) rules in order; the first match wins.

    `senders` are the From address and the host the report names: a `sender` rule
    matches either exactly, a `sender_domain` rule matches the domain of either.
    """
    names = [s.lower() for s in senders if s]
    domains = [n.rpartition("@")[2] for n in names]
    for customer_id, kind, pattern in rules:
        p = pattern.lower()
        if kind == "sender" and p in names:
            return customer_id
        if kind == "sender_domain" and any(d == p or d.endswith("." + p) for d in domains):
            return customer_id
        if kind == "job_name_regex":
            try:
                if re.search(pattern, job_name, re.IGNORECASE):
                    return customer_id
            except re.error:
                continue
    return None


def get_or_create(session: Session, name: str) -> Customer:
    """The customer named `name`, created when missing."""
    found = session.exec(select(Customer).where(Customer.name == name)).first()
    if found is not None:
        return found
    customer = Customer(name=name)
    session.add(customer)
    session.flush()
    return customer


def add_rule(session: Session, customer: Customer, kind: str, pattern: str) -> CustomerRule:
    """Add a mapping rule and assign the unassigned jobs it matches."""
    if kind not in {"sender", "sender_domain", "job_name_regex"}:
        msg = f"unknown rule kind {kind!r}"
        raise ValueError(msg)
    assert customer.id is not None
    rule = CustomerRule(customer_id=customer.id, kind=kind, pattern=pattern)
    session.add(rule)
    session.flush()
    for job in session.exec(select(Job).where(col(Job.customer_id).is_(None))).all():
        if match_customer(session, job.name, job.sender) == customer.id:
            job.customer_id = customer.id
            session.add(job)
    return rule


def suggestion_for(engine: Engine, job_id: int) -> str:
    """The customer name suggested for a job (its current customer, else from the sender)."""
    with read_scope(engine) as session:
        job = session.get(Job, job_id)
        if job is None:
            return ""
        if job.customer_id is not None:
            customer = session.get(Customer, job.customer_id)
            return customer.name if customer else ""
        return job.suggested_customer


def assign_job(engine: Engine, actor: Actor, job_id: int, customer_name: str) -> str:
    """Put a job (and every unassigned job from the same sender domain) under a customer.

    Adds a sender-domain rule (an exact sender rule when the sender has no domain), so
    future reports map by themselves; returns what the rule matches.
    """
    require(actor, Action.MANAGE_CUSTOMERS)
    name = customer_name.strip()
    if not name:
        raise NotFound("A customer needs a name.")
    with session_scope(engine) as session:
        job = session.get(Job, job_id)
        if job is None:
            raise NotFound(f"Job {job_id} no longer exists.")
        customer = get_or_create(session, name)
        domain = job.sender.rpartition("@")[2] if "@" in job.sender else ""
        kind, pattern = ("sender_domain", domain) if domain else ("sender", job.sender)
        add_rule(session, customer, kind, pattern)
        job.customer_id = customer.id
        session.add(job)
        audit.record(session, actor, "customer.assign", "job", job_id, customer=name, rule=pattern)
        return pattern
