"""The services facade as the screens see it: one `Services` protocol, per area a part.

The screens are handed an object that satisfies `Services` (the CLI builds
`backupchecks_tui.facade.BoundServices`, bound to the engine, the acting operator and the
configuration) and call nothing else that reaches the database. Every method here does
I/O and may block: screens call them only from thread workers (`screens.base`), never on
the event loop; a test fails any statement issued from the event-loop thread.

Like `views`, this package imports nothing that pulls in SQLAlchemy, the store or the
parsers, so the screens can import it.
"""

from __future__ import annotations

from typing import Protocol

from backupchecks_tui.api.admin import AdminApi
from backupchecks_tui.api.app import AppApi
from backupchecks_tui.api.checks import ChecksApi
from backupchecks_tui.api.daily import DailyApi
from backupchecks_tui.api.items import ItemsApi


class Services(AppApi, ChecksApi, DailyApi, ItemsApi, AdminApi, Protocol):
    """Everything the screens may ask of the core."""


__all__ = ["Services"]
