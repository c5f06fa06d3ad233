"""Overrides, the Inbox of unparsed mail, operators."""

from __future__ import annotations

from typing import Protocol


class AdminApi(Protocol):
    """The admin part of the facade."""
