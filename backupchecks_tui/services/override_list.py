"""Overrides as the Overrides mode lists them, and one override by id (views, not rows)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from backupchecks_tui.errors import NotFound
from backupchecks_tui.services.override_rules import describe_match, override_state
from backupchecks_tui.views.admin import OverrideFilter, OverrideRow
from store.engine import read_scope
from store.models import Job, Override
from store.types import utcnow

Which = OverrideFilter


def get_row(session: Session, override_id: int) -> Override:
    """The override `override_id`, or NotFound."""
    override = session.get(Override, override_id)
    if override is None:
        raise NotFound(f"Override #{override_id} no longer exists.")
    return override


_WHICH = {
    "active": {"active", "pending"},
    "expired": {"expired", "disabled"},
    "all": {"active", "pending", "expired", "disabled"},
}


def list_overrides(
    engine: Engine, which: Which = "active", *, now: datetime | None = None
) -> list[OverrideRow]:
    """Overrides newest first: in force or pending ("active"), ended or disabled
    ("expired"), or all; expired ones stay listed."""
    at = now or utcnow()
    query = (
        select(Override, col(Job.name))
        .outerjoin(Job, col(Override.job_id) == col(Job.id))
        .order_by(col(Override.id).desc())
    )
    with read_scope(engine) as session:
        rows = [_row(o, name or "", at) for o, name in session.execute(query).all()]
    return [row for row in rows if row.state in _WHICH[which]]


def _row(override: Override, job_name: str, now: datetime) -> OverrideRow:
    """An OverrideRow for `override` at `now`."""
    return OverrideRow(
        id=override.id or 0,
        scope=override.scope,
        job_id=override.job_id,
        job_name=job_name,
        run_id=override.run_id,
        match=describe_match(override),
        state=override_state(override, now),  # type: ignore[arg-type]
        valid_from=override.valid_from,
        valid_until=override.valid_until,
        created_by=override.created_by,
        created_at=override.created_at,
        reason=override.reason,
        source_run_id=override.source_run_id,
        hit_count=override.hit_count,
        last_hit_at=override.last_hit_at,
        match_status=override.match_status,
        object_name=override.object_name,
        text_match=override.text_match,
        text_pattern=override.text_pattern,
    )


def get_override(engine: Engine, override_id: int, *, now: datetime | None = None) -> OverrideRow:
    """One override by id (for editing), or NotFound."""
    with read_scope(engine) as session:
        override = get_row(session, override_id)
        job = session.get(Job, override.job_id) if override.job_id is not None else None
        return _row(override, job.name if job is not None else "", now or utcnow())
