"""Customers and the rules that map jobs to them (sender, sender domain, job-name regex)."""

from __future__ import annotations

import re

from sqlmodel import Session, col, select

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
    sender_l = sender.lower()
    domain = sender_l.rpartition("@")[2]
    for rule in rules:
        pattern = rule.pattern
        if rule.kind == "sender" and sender_l == pattern.lower():
            return rule.customer_id
        if rule.kind == "sender_domain" and (
            domain == pattern.lower() or domain.endswith("." + pattern.lower())
        ):
            return rule.customer_id
        if rule.kind == "job_name_regex" and _safe_search(pattern, job_name):
            return rule.customer_id
    return None


def _safe_search(pattern: str, text: str) -> bool:
    try:
        return re.search(pattern, text, re.IGNORECASE) is not None
    except re.error:
        return False


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
