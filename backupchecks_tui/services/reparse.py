"""Re-parse stored mail after a parser improves: same runs, updated in place."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from sqlmodel import col, select

from backupchecks_tui.errors import NotFound
from backupchecks_tui.ingest.pipeline import Pipeline
from store.engine import read_scope
from store.models import MailMessage

FAILED = "failed"
"""The count of mails whose re-parse raised (rolled back, left as they were)."""


def reparse(
    pipeline: Pipeline,
    mail_ids: list[int] | None,
    progress: Callable[[str, int, int], None] | None = None,
    failures: list[str] | None = None,
) -> Counter[str]:
    """Re-parse `mail_ids` (all mails when None); one transaction per mail.

    A mail that cannot be re-parsed (a damaged stored copy, a database error) is rolled
    back, counted as `failed` and described in `failures`; the pass goes on.
    """
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
        try:
            counts[pipeline.reparse(mail_id).outcome.value] += 1
        except Exception as exc:  # noqa: BLE001 - one mail's error never stops the pass
            counts[FAILED] += 1
            if failures is not None:
                failures.append(f"mail {mail_id}: {_first_line(exc)}")
        if progress is not None:
            progress("mails", done, len(ids))
    return counts


def _first_line(exc: BaseException) -> str:
    """The error's type and first line: a database error's next lines hold the SQL and
    its parameters (mail text among them)."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:200]}" if text else type(exc).__name__
