"""Run Checks: the queue, a job's runs and a run, review, mark as success, follow-up."""

from __future__ import annotations

from typing import Protocol


class ChecksApi(Protocol):
    """The checks part of the facade."""
