"""Scopes of tickets and remarks: what they cover (a customer, a job, an object of a job),
checked, named, listed, and the SQL filters on them (no Textual)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Engine, func, or_
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from backupchecks_tui.errors import NotFound
from backupchecks_tui.services.item_base import InvalidInput, Owner, OwnerKind
from backupchecks_tui.views.items import ScopeKind, ScopeSpec, ScopeView
from store.engine import read_scope
from store.models import Customer, Job, Scope


def checked_scope(session: Session, spec: ScopeSpec) -> ScopeSpec:
    """`spec` with its object name trimmed, or InvalidInput / NotFound in plain words."""
    name = spec.object_name.strip()
    if spec.customer_id is not None and spec.job_id is not None:
        raise InvalidInput("A scope names a customer or a job, not both.")
    if name and spec.job_id is None:
        raise InvalidInput(f"The object scope {name!r} needs the job it belongs to.")
    if spec.customer_id is None and spec.job_id is None:
        raise InvalidInput("A scope needs a customer, a job, or an object name with its job.")
    if spec.customer_id is not None and session.get(Customer, spec.customer_id) is None:
        raise NotFound(f"There is no customer with id {spec.customer_id}.")
    if spec.job_id is not None and session.get(Job, spec.job_id) is None:
        raise NotFound(f"There is no job with id {spec.job_id}.")
    return ScopeSpec(spec.customer_id, spec.job_id, name)


def scope_specs(session: Session, owner: Owner) -> list[ScopeSpec]:
    """The scopes `owner` has now."""
    rows = session.exec(
        select(Scope.customer_id, Scope.job_id, Scope.object_name)
        .where(owner.column(Scope) == owner.id)
        .order_by(col(Scope.id))
    ).all()
    return [ScopeSpec(c, j, o) for c, j, o in rows]


def add_scopes(
    session: Session, owner: Owner, scopes: Iterable[ScopeSpec], *, checked: bool = True
) -> list[ScopeSpec]:
    """Add the scopes `owner` does not have yet (validated unless `checked` is False)."""
    have = set(scope_specs(session, owner))
    added: list[ScopeSpec] = []
    for spec in scopes:
        clean = checked_scope(session, spec) if checked else spec
        if clean in have:
            continue
        have.add(clean)
        added.append(clean)
        session.add(Scope(**owner.key(), **scope_columns(clean)))
    return added


def scope_columns(spec: ScopeSpec) -> dict[str, Any]:
    """The Scope columns for `spec`."""
    return {"customer_id": spec.customer_id, "job_id": spec.job_id, "object_name": spec.object_name}


def require_scopes(scopes: Sequence[ScopeSpec]) -> None:
    """InvalidInput unless at least one scope is given."""
    if not scopes:
        raise InvalidInput("Give at least one scope: a customer, a job, or an object of a job.")


def scope_views(
    session: Session, kind: OwnerKind, owner_ids: Sequence[int]
) -> dict[int, list[ScopeView]]:
    """Scopes with names for each of `owner_ids` (in the order they were added)."""
    found: dict[int, list[ScopeView]] = {i: [] for i in owner_ids}
    if not owner_ids:
        return found
    owner_col = col(getattr(Scope, f"{kind}_id"))
    job_customer = aliased(Customer)
    scope_customer = aliased(Customer)
    rows = session.execute(
        sa_select(
            owner_col,
            col(Scope.customer_id),
            col(Scope.job_id),
            col(Scope.object_name),
            func.coalesce(scope_customer.name, job_customer.name, ""),
            func.coalesce(Job.name, ""),
            func.coalesce(Job.product, ""),
        )
        .outerjoin(Job, col(Job.id) == col(Scope.job_id))
        .outerjoin(scope_customer, col(scope_customer.id) == col(Scope.customer_id))
        .outerjoin(job_customer, col(job_customer.id) == col(Job.customer_id))
        .where(owner_col.in_(list(owner_ids)))
        .order_by(col(Scope.id))
    ).all()
    for owner_id, customer_id, job_id, obj, customer, job, product in rows:
        scope_kind: ScopeKind = "customer" if job_id is None else ("object" if obj else "job")
        found[owner_id].append(
            ScopeView(scope_kind, customer_id, job_id, obj, customer, job, product)
        )
    return found


def scope_summary(views: Iterable[ScopeView]) -> str:
    """The scopes in one line, for lists."""
    return "; ".join(view.label for view in views)


def scope_conditions(
    kind: OwnerKind, id_column: Any, customer_id: int | None, product: str | None
) -> list[ColumnElement[bool]]:
    """Filters on owner ids: a scope of `customer_id` (directly or via a job) / of `product`."""
    owner_col = col(getattr(Scope, f"{kind}_id"))
    conditions: list[ColumnElement[bool]] = []
    if customer_id is not None:
        by_customer = (
            select(owner_col)
            .outerjoin(Job, col(Job.id) == col(Scope.job_id))
            .where(or_(col(Scope.customer_id) == customer_id, col(Job.customer_id) == customer_id))
        )
        conditions.append(id_column.in_(by_customer))
    if product:
        by_product = (
            select(owner_col)
            .join(Job, col(Job.id) == col(Scope.job_id))
            .where(col(Job.product) == product)
        )
        conditions.append(id_column.in_(by_product))
    return conditions


def scope_label(session: Session, spec: ScopeSpec) -> str:
    """'job: name (customer)', 'customer: name' or 'object: vm on job' for a timeline."""
    views = spec_views(session, spec)
    return views[0].label if views else "scope"


def spec_views(session: Session, spec: ScopeSpec) -> list[ScopeView]:
    """`spec` named as a ScopeView (one, or none when its job or customer is gone)."""
    customer = session.get(Customer, spec.customer_id) if spec.customer_id else None
    job = session.get(Job, spec.job_id) if spec.job_id else None
    if job is None and customer is None:
        return []
    if job is not None and job.customer_id and customer is None:
        customer = session.get(Customer, job.customer_id)
    kind: ScopeKind = "customer" if job is None else ("object" if spec.object_name else "job")
    return [
        ScopeView(
            kind,
            spec.customer_id,
            spec.job_id,
            spec.object_name,
            customer.name if customer else "",
            job.name if job else "",
            job.product if job else "",
        )
    ]


def add_scope_to(
    session: Session, owner: Owner, spec: ScopeSpec
) -> tuple[str, dict[str, Any]] | None:
    """Add `spec` to `owner` unless it has it: the ("scope_added", details) event or None."""
    added = add_scopes(session, owner, [spec])
    return ("scope_added", {"scope": scope_label(session, added[0])}) if added else None


def covers_job(engine: Engine, kind: OwnerKind, owner_id: int, job_id: int) -> bool:
    """Whether the ticket / remark has a scope naming `job_id` (whole job) or its customer."""
    owner = Owner(kind, owner_id)
    with read_scope(engine) as session:
        job = session.get(Job, job_id)
        if job is None:
            raise NotFound(f"There is no job with id {job_id}.")
        specs = scope_specs(session, owner)
    return any(
        (s.job_id == job_id and not s.object_name)
        or (s.customer_id is not None and s.customer_id == job.customer_id)
        for s in specs
    )
