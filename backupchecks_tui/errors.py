"""One error hierarchy: each error carries a short title and a plain message for people.

The CLI prints `message` as one line (no traceback); the app shows `title` and `message`
in a notification. Subclasses tell configuration mistakes from operational failures.
"""

from __future__ import annotations


class BackupChecksError(Exception):
    """Base of every error this app reports to a person."""

    title = "Error"
    exit_code = 2

    def __init__(self, message: str, *, fix: str = "") -> None:
        self.message = message
        self.fix = fix
        super().__init__(self.line)

    @property
    def line(self) -> str:
        """The one line a person reads: what went wrong and how to fix it."""
        return f"{self.message} {self.fix}".strip() if self.fix else self.message


class ConfigError(BackupChecksError):
    """The configuration file is missing, unreadable or invalid."""

    title = "Configuration error"


class PermissionDenied(BackupChecksError):
    """The acting operator's role does not allow the action."""

    title = "Not allowed"


class SecretError(BackupChecksError):
    """No IMAP password could be found or stored."""

    title = "Password not available"


class MailboxError(BackupChecksError):
    """The IMAP server could not be used."""

    title = "Mailbox error"


class MailboxConnectionError(MailboxError):
    """The server could not be reached (DNS, refused, timeout, dropped)."""

    title = "Cannot reach the mail server"


class MailboxLoginError(MailboxError):
    """The server refused the username or password."""

    title = "Login refused"


class MailboxTLSError(MailboxError):
    """The TLS handshake or certificate verification failed."""

    title = "TLS failure"


class ParseFailure(BackupChecksError):
    """A mail file could not be read at all."""

    title = "Cannot read mail"


class StoreError(BackupChecksError):
    """The database could not be opened, migrated or written."""

    title = "Database error"


class NotFound(BackupChecksError):
    """An object named by id or name does not exist."""

    title = "Not found"


_OUR_PACKAGES = ("backupchecks_tui", "screens", "store", "parsers")


def where_it_failed(error: BaseException) -> str:
    """`TypeName at package/module.py:line` for an unexpected error, and nothing more.

    Neither the message nor any value goes in: an exception raised deep in imaplib or a
    driver can carry a password or a mail's text, while the type and the place (the
    innermost frame of our own code, else the innermost frame) are enough for a report.
    """
    frames: list[tuple[str, int]] = []
    tb = error.__traceback__
    while tb is not None:
        frames.append((tb.tb_frame.f_code.co_filename.replace("\\", "/"), tb.tb_lineno))
        tb = tb.tb_next
    ours = [f for f in frames if any(f"/{p}/" in f[0] for p in _OUR_PACKAGES)]
    chosen = (ours or frames)[-1:] if frames else []
    if not chosen:
        return type(error).__name__
    path, line = chosen[0]
    parts = path.split("/")
    short = "/".join(parts[-2:])
    return f"{type(error).__name__} at {short}:{line}"


def unexpected_line(error: BaseException, doing: str) -> str:
    """One plain line for an error nobody foresaw: ours say their own line, others only
    their type and place (see `where_it_failed`)."""
    if isinstance(error, BackupChecksError):
        return error.line
    return f"{doing} failed unexpectedly ({where_it_failed(error)}). Please report this line."
