"""Re-parse stored mail after a parser improves: same runs, updated in place."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from sqlmodel import col, select

from backupchecks_tui.errors import NotFound
from backupchecks_tui.ingest.pipeline import Pipeline
from store.engine import read_scope
from store.models import MailMessage


def reparse(
    pipeline: Pipeline,
    mail_ids: list[int] | None,
    progress: Callable[[str, int, int], None] | None = None,
) -> Counter[str]:
    """Re-parse `mail_ids` (all mails when None); one transaction per mail."""
    with read_scope(pipeline.engine) as session:
        query = select(MailMessage.id).order_by(col(MailMessage.id))
        if mail_ids is not None:
            query = query.where(col(MailMessage.id).in_(mail_ids))
        ids = [i for i in session.exec(query).all() if i is not None]
    missing = sorted(set(mail_ids or []) - set(ids))
    if missing:
        raise NotFound(f"No stored mail with id {', '.join(map(str, missing))}.")
    counts: Counter[str] = Counter()
    for done, mail_id in enumerate(ids, start=1):
        counts[pipeline.reparse(mail_id).outcome.value] += 1
        if progress is not None:
            progress("mails", done, len(ids))
    return counts
