"""Tickets and Remarks as the screens see them: what they cover, lists, details."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ScopeSpec:
    """What to cover: a customer, a job, or an object name together with its job."""

    customer_id: int | None = None
    job_id: int | None = None
    object_name: str = ""

    @classmethod
    def customer(cls, customer_id: int) -> ScopeSpec:
        """A scope covering every job of a customer."""
        return cls(customer_id=customer_id)

    @classmethod
    def job(cls, job_id: int) -> ScopeSpec:
        """A scope covering one job."""
        return cls(job_id=job_id)

    @classmethod
    def object(cls, job_id: int, name: str) -> ScopeSpec:
        """A scope covering one object (VM, host, mailbox…) of a job."""
        return cls(job_id=job_id, object_name=name)
