"""The audit log as a person reads it: every audited action, newest first, in words.

`services.audit.record` writes one row per action (`action` like "review.unmark",
details as JSON); this module lists them for the Audit view with the action in words
("Unmarked") and the details as one readable line.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine
from sqlmodel import col, select

from backupchecks_tui.roles import Action, Actor, require
from backupchecks_tui.views.app import AuditEntry
from store.engine import read_scope
from store.models import AuditEvent

ACTION_WORDS: dict[str, str] = {
    "review": "Reviewed",
    "review.undo": "Review undone",
    "review.unmark": "Unmarked",
    "run.mark_success": "Marked as success",
    "override.create": "Override created",
    "override.edit": "Override edited",
    "override.disable": "Override disabled",
    "override.enable": "Override enabled",
    "override.delete": "Override deleted",
    "override.apply": "Override applied to runs",
    "ticket.open": "Ticket opened",
    "ticket.start": "Ticket started",
    "ticket.hold": "Ticket put on hold",
    "ticket.resume": "Ticket taken off hold",
    "ticket.back_from_hold": "Ticket back from hold",
    "ticket.resolve": "Ticket resolved",
    "ticket.reopen": "Ticket reopened",
    "ticket.comment": "Ticket commented on",
    "ticket.edit": "Ticket edited",
    "ticket.link_run": "Ticket linked to a run",
    "ticket.add_scope": "Ticket scope added",
    "ticket.merge": "Ticket merged",
    "remark.add": "Remark added",
    "remark.resolve": "Remark resolved",
    "remark.reopen": "Remark reopened",
    "remark.edit": "Remark edited",
    "remark.add_scope": "Remark scope added",
    "remark.link_run": "Remark linked to a run",
    "customer.assign": "Job assigned to a customer",
    "customer.rule": "Sender domain mapped to a customer",
    "schedule.set": "Schedule set",
    "schedule.clear": "Schedule cleared",
    "job.pause": "Job paused",
    "job.resume": "Job resumed",
    "job.grace": "Grace period changed",
    "operator.register": "Operator registered",
    "operator.set_role": "Operator role set",
    "inbox.reparse": "Mail re-parsed",
    "inbox.ignore": "Mail ignored",
}
"""Every action `audit.record` is called with, in words; others read as their name."""

MAX_VALUE = 80
"""Characters of one detail value shown (a reason, a before/after schedule)."""


def action_words(action: str) -> str:
    """The action as people say it: "review.unmark" → "Unmarked"."""
    known = ACTION_WORDS.get(action)
    if known is not None:
        return known
    return action.replace(".", " ").replace("_", " ").strip().capitalize() or "(no action)"


def details_line(details: str) -> str:
    """The JSON details as one line of `key: value` pairs (empty values left out); an
    edit's before/after dicts show only what changed, as `key: old → new`."""
    try:
        data = json.loads(details) if details else {}
    except ValueError:
        return _short(details)
    if not isinstance(data, dict):
        return _short(str(data))
    before, after = data.get("before"), data.get("after")
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        changed = [
            f"{key}: {_value(before.get(key))} → {_value(after.get(key))}"
            for key in sorted({*before, *after})
            if before.get(key) != after.get(key)
        ]
        rest = {k: v for k, v in data.items() if k not in {"before", "after"}}
        return " · ".join([*_pairs(rest), *changed]) or "no change"
    return " · ".join(_pairs(data))


def _pairs(data: Mapping[str, Any]) -> list[str]:
    return [f"{key}: {_value(value)}" for key, value in data.items() if value not in (None, "")]


def _value(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping | list):
        value = json.dumps(value, default=str, sort_keys=True)
    return _short(str(value))


def _short(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= MAX_VALUE else line[: MAX_VALUE - 1] + "…"


def audit_log(engine: Engine, actor: Actor, limit: int = 500) -> list[AuditEntry]:
    """Admin: every audited action, newest first (at most `limit`)."""
    require(actor, Action.VIEW_AUDIT)
    query = select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(limit)
    with read_scope(engine) as session:
        return [
            AuditEntry(
                at=event.at,
                actor=event.actor,
                action=action_words(event.action),
                entity=event.entity,
                entity_id=event.entity_id,
                details=details_line(event.details),
            )
            for event in session.exec(query)
        ]
