"""The admin part of the facade (see `backupchecks_tui.api.admin`)."""

from __future__ import annotations

from backupchecks_tui.facade.base import Bound


class AdminFacade(Bound):
    """The admin services, bound to the workspace."""
