"""Daily Jobs and a job's history and schedule."""

from __future__ import annotations

from typing import Protocol


class DailyApi(Protocol):
    """The daily part of the facade."""
