"""Follow-up from a run: what a new ticket or remark for it starts with, and the pickers.

`draft_for_run` prefills a ticket or remark opened from Run Checks: the job as scope, the
run linked, a title, and a description listing the problem objects (mail text made
literal for Markdown: control sequences removed, Markdown punctuation escaped).
`scope_choices`, `customer_choices` and `product_choices` feed the fuzzy pickers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from sqlalchemy import Engine, func
from sqlmodel import col, select

from backupchecks_tui.domain import ItemKind, RunStatus
from backupchecks_tui.safe_text import one_line
from backupchecks_tui.services import checks
from backupchecks_tui.services.coverage import fuzzy_score
from backupchecks_tui.services.item_base import OwnerKind
from backupchecks_tui.views.checks import RunDraft, ScopeOption
from backupchecks_tui.views.items import ScopeChoice, ScopeSpec
from store.engine import read_scope
from store.models import Customer, Job, RunLink

MAX_PROBLEMS = 20
"""Problem objects listed in a prefilled description (the rest are counted)."""

_MARKDOWN = re.compile(r"([\\`*_\[\]<>~])")


def markdown_literal(text: str, limit: int = 200) -> str:
    """`text` on one line, with the characters of inline Markdown (emphasis, code, links,
    HTML) escaped; mid-line text cannot start a block, so the rest stays readable."""
    return _MARKDOWN.sub(r"\\\1", one_line(text, limit))


def draft_for_run(engine: Engine, run_id: int) -> RunDraft:
    """The prefilled title, description and scope choices for a follow-up of `run_id`."""
    detail = checks.run_detail(engine, run_id)
    run = detail.run
    problems = [o for o in detail.objects if o.status != RunStatus.SUCCESS]
    customer_id = _customer_id(engine, detail.job_id)
    job = one_line(detail.job_name, 120)
    options = [ScopeOption("job", f"this job: {job}", (ScopeSpec.job(detail.job_id),))]
    if problems:
        names = sorted({o.name for o in problems})
        shown = ", ".join(one_line(n, 40) for n in names[:3]) + ("…" if len(names) > 3 else "")
        options.append(
            ScopeOption(
                "objects",
                f"problem objects of this job: {shown}",
                tuple(ScopeSpec.object(detail.job_id, n) for n in names),
            )
        )
    if customer_id is not None:
        label = f"every job of {one_line(detail.customer, 80)}"
        options.append(ScopeOption("customer", label, (ScopeSpec.customer(customer_id),)))
    title = f"{job}: {run.status} on {run.run_day:%Y-%m-%d}"
    if problems:
        title += f" ({len(problems)} of {len(detail.objects)} objects)"
    return RunDraft(
        run_id=run.id,
        job_id=detail.job_id,
        job_name=detail.job_name,
        customer=detail.customer,
        status=run.status,
        run_day=run.run_day,
        title=title[:200],
        description=_describe(detail, problems, markdown_literal, "**"),
        summary=_describe(detail, problems, one_line, ""),
        scope_options=tuple(options),
        problems=tuple(o.name for o in problems),
    )


def _describe(
    detail: checks.RunDetail,
    problems: Sequence[checks.ObjectRow],
    literal: Callable[[str, int], str],
    bold: str,
) -> str:
    """The run and its problem objects as text (`literal` makes mail text safe)."""
    run = detail.run
    lines = [
        f"Run {run.id} of {bold}{literal(detail.job_name, 200)}{bold} "
        f"({literal(detail.customer or 'no customer', 200)}) "
        f"on {run.run_day:%Y-%m-%d}: {bold}{run.status.capitalize()}{bold}.",
        "",
    ]
    if run.message:
        lines += [f"Message: {literal(run.message, 400)}", ""]
    if problems:
        lines.append("Problem objects:")
        for obj in problems[:MAX_PROBLEMS]:
            line = f"- {literal(obj.name, 120)} — {obj.status}"
            if obj.message:
                line += f": {literal(obj.message, 300)}"
            lines.append(line)
        if len(problems) > MAX_PROBLEMS:
            lines.append(f"- … and {len(problems) - MAX_PROBLEMS} more")
    return "\n".join(lines).strip() + "\n"


def _customer_id(engine: Engine, job_id: int) -> int | None:
    with read_scope(engine) as session:
        return session.exec(select(Job.customer_id).where(Job.id == job_id)).first()


def scope_choices(engine: Engine, text: str = "", *, limit: int = 50) -> list[ScopeChoice]:
    """Customers and jobs whose name fuzzy-matches `text`, best first (customers on ties)."""
    with read_scope(engine) as session:
        customers = session.exec(select(Customer.id, Customer.name)).all()
        jobs = session.exec(
            select(Job.id, Job.name, Job.product, Customer.name).outerjoin(
                Customer, col(Customer.id) == col(Job.customer_id)
            )
        ).all()
    scored: list[tuple[int, int, str, ScopeChoice]] = []
    for cid, name in customers:
        score = fuzzy_score(text, name)
        if score is not None and cid is not None:
            choice = ScopeChoice(ScopeSpec.customer(cid), f"customer  {one_line(name, 60)}")
            scored.append((-score, 0, name.casefold(), choice))
    for jid, name, product, customer in jobs:
        score = fuzzy_score(text, f"{name} {customer or ''}")
        if score is not None and jid is not None:
            label = f"job       {one_line(name, 60)}  ({one_line(customer or 'no customer', 40)}"
            label += f", {product})"
            scored.append((-score, 1, name.casefold(), ScopeChoice(ScopeSpec.job(jid), label)))
    scored.sort(key=lambda item: item[:3])
    return [item[3] for item in scored[:limit]]


def customer_choices(engine: Engine, text: str = "", *, limit: int = 50) -> list[tuple[int, str]]:
    """(id, name) of customers fuzzy-matching `text`, best first."""
    with read_scope(engine) as session:
        rows = session.exec(select(Customer.id, Customer.name)).all()
    scored = [
        (-s, name.casefold(), cid, name)
        for cid, name in rows
        if cid is not None and (s := fuzzy_score(text, name)) is not None
    ]
    scored.sort()
    return [(cid, name) for _s, _n, cid, name in scored[:limit]]


def product_choices(engine: Engine, text: str = "") -> list[str]:
    """The products of known jobs fuzzy-matching `text`, best first."""
    with read_scope(engine) as session:
        products = session.exec(
            select(Job.product).group_by(col(Job.product)).order_by(func.lower(Job.product))
        ).all()
    scored = [(-s, p) for p in products if (s := fuzzy_score(text, p)) is not None]
    scored.sort()
    return [p for _s, p in scored]


def linked_run_counts(engine: Engine, kind: OwnerKind, ids: Sequence[int]) -> dict[int, int]:
    """How many runs are linked to each ticket (or remark) of `ids`, in one statement."""
    if not ids:
        return {}
    owner = col(RunLink.ticket_id) if kind == ItemKind.TICKET else col(RunLink.remark_id)
    with read_scope(engine) as session:
        rows = session.exec(
            select(owner, func.count()).where(owner.in_(list(ids))).group_by(owner)
        ).all()
    return {owner_id: count for owner_id, count in rows if owner_id is not None}
