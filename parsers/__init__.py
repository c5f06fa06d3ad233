"""Pure parsers that turn backup report mails into `Report` objects (no I/O, no database)."""

from parsers.mailview import MailView
from parsers.model import (
    IgnoreMail,
    Outcome,
    Parser,
    ParseResult,
    Report,
    ReportObject,
    Status,
)
from parsers.registry import Registry, default_registry

__all__ = [
    "IgnoreMail",
    "MailView",
    "Outcome",
    "ParseResult",
    "Parser",
    "Registry",
    "Report",
    "ReportObject",
    "Status",
    "default_registry",
]
