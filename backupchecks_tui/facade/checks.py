"""The checks part of the facade (see `backupchecks_tui.api.checks`)."""

from __future__ import annotations

from backupchecks_tui.facade.base import Bound


class ChecksFacade(Bound):
    """The checks services, bound to the workspace."""
