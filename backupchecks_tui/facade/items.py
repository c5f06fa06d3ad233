"""The items part of the facade (see `backupchecks_tui.api.items`)."""

from __future__ import annotations

from backupchecks_tui.facade.base import Bound


class ItemsFacade(Bound):
    """The items services, bound to the workspace."""
