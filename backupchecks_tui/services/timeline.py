"""The timeline of a ticket or remark: events appended, read back with a sentence each."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from backupchecks_tui.services.item_base import Owner
from backupchecks_tui.views.items import TimelineEntry
from store.models import TimelineEvent


def add_event(
    session: Session, owner: Owner, kind: str, actor: str, at: datetime, **details: Any
) -> None:
    """Append an event to `owner`'s timeline (details kept as JSON)."""
    text = json.dumps(details, default=str, sort_keys=True) if details else ""
    session.add(TimelineEvent(**owner.key(), at=at, actor=actor, kind=kind, details=text))


def timeline(session: Session, owner: Owner) -> list[TimelineEntry]:
    """`owner`'s timeline, newest last."""
    events = session.exec(
        select(TimelineEvent)
        .where(owner.column(TimelineEvent) == owner.id)
        .order_by(col(TimelineEvent.at), col(TimelineEvent.id))
    ).all()
    return [timeline_entry(event) for event in events]


def timeline_entry(event: TimelineEvent) -> TimelineEntry:
    """A stored event as a TimelineEntry with its sentence."""
    details: dict[str, Any] = json.loads(event.details) if event.details else {}
    summary = describe_event(event.kind, details)
    if "from" in details:
        summary = f"[#{details['from']}] {summary}"
    return TimelineEntry(event.at, event.actor, event.kind, summary, details)


def describe_event(kind: str, details: Mapping[str, Any]) -> str:
    """The sentence a timeline shows for an event."""
    simple = {
        "opened": "opened",
        "started": "started work",
        "reopened": "reopened",
    }
    if kind in simple:
        return simple[kind]
    describe = _DESCRIBERS.get(kind)
    return describe(details) if describe else kind.replace("_", " ")


def _describe_hold(details: Mapping[str, Any]) -> str:
    """'put on hold until <local time>'."""
    until = datetime.fromisoformat(str(details["until"])).astimezone()
    return f"put on hold until {until:%Y-%m-%d %H:%M}"


def _describe_back(details: Mapping[str, Any]) -> str:
    """'back from hold', saying when the date passing did it."""
    return "back from hold (the hold date passed)" if details.get("automatic") else "back from hold"


def _describe_edit(details: Mapping[str, Any]) -> str:
    """'edited title and code' — the previous text is in the details."""
    changed = sorted(details.get("before", {}))
    return "edited " + " and ".join(changed) if changed else "edited"


def _describe_run(details: Mapping[str, Any]) -> str:
    """'linked run 12 (job, failed, 2026-11-10)'."""
    return (
        f"linked run {details.get('run_id')} "
        f"({details.get('job')}, {details.get('status')}, {details.get('day')})"
    )


def _describe_resolved(details: Mapping[str, Any]) -> str:
    """'resolved: category — outcome (runs …)'."""
    outcome = str(details.get("outcome", "")).replace("_", " ")
    if not outcome:
        return "resolved"
    text = f"resolved: {details.get('category', '')} — {outcome}"
    runs = details.get("runs") or []
    return f"{text} (runs {', '.join(str(r) for r in runs)})" if runs else text


def _describe_merged(details: Mapping[str, Any]) -> str:
    """Both sides of a merge: 'merged into #3' or 'merged #5, #6 into this ticket'."""
    if "into" in details:
        return f"merged into #{details['into']}"
    sources = ", ".join(f"#{n}" for n in details.get("sources", []))
    return f"merged {sources} into this ticket"


_DESCRIBERS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "put_on_hold": _describe_hold,
    "back_from_hold": _describe_back,
    "comment": lambda d: str(d.get("body", "")),
    "edit": _describe_edit,
    "linked_run": _describe_run,
    "scope_added": lambda d: f"now also covers {d.get('scope', 'a scope')}",
    "resolved": _describe_resolved,
    "merged": _describe_merged,
}
