"""The audit trail: one row per role-relevant action, with details as JSON.

`services.audit_log` lists it for the Audit view; every action recorded here needs its
words there (a test reads the services for the action names).
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session

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
