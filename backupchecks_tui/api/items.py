"""Tickets and Remarks: lists, details, transitions, scopes, run links."""

from __future__ import annotations

from typing import Protocol


class ItemsApi(Protocol):
    """The items part of the facade."""
