"""The audit trail: one row per role-relevant action, with details as JSON."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, col, select

from backupchecks_tui.roles import Actor
from store.models import AuditEvent


def record(
    session: Session,
    actor: Actor | str,
    action: str,
    entity: str,
    entity_id: int | None = None,
    **details: Any,
) -> AuditEvent:
    """Add an audit entry in the caller's transaction."""
    login = actor.login if isinstance(actor, Actor) else actor
    event = AuditEvent(
        actor=login,
        action=action,
        entity=entity,
        entity_id=entity_id,
        details=json.dumps(details, default=str, sort_keys=True),
    )
    session.add(event)
    return event


def recent(session: Session, limit: int = 200) -> list[AuditEvent]:
    """The newest audit entries first."""
    query = select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(limit)
    return list(session.exec(query))
