"""The IMAP password: keyring first, then `password_command`, then an environment variable.

The password travels wrapped in `Secret`, whose repr hides it, so it cannot reach a log
line, a traceback's locals or a config file by accident.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from dataclasses import dataclass

from backupchecks_tui.errors import SecretError

SERVICE = "backupchecks-tui"
PASSWORD_ENV = "BACKUPCHECKS_TUI_IMAP_PASSWORD"  # noqa: S105 - a variable name
_NO_KEYRING_FIX = (
    f'Fix: set [imap] password_command (e.g. "pass show imap/backups") or the environment '
    f"variable {PASSWORD_ENV}."
)


class Secret:
    """A string that never shows itself in repr/str."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret value; call only where it is handed to the server."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__


@dataclass(frozen=True)
class FoundPassword:
    """A password and where it came from (keyring, password_command or environment)."""

    secret: Secret
    source: str


def keyring_status() -> str | None:
    """None when a usable keyring backend exists, else why not."""
    try:
        import keyring  # noqa: PLC0415 - brings cryptography; load only when needed
        from keyring.backends import fail  # noqa: PLC0415
    except ImportError as exc:  # pragma: no cover - keyring is a dependency
        return f"keyring is not installed ({exc})"
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring):
        return "no keyring backend is available on this machine (a headless SSH host?)"
    return None


def _from_keyring(username: str) -> str | None:
    if keyring_status() is not None:
        return None
    import keyring  # noqa: PLC0415
    from keyring.errors import KeyringError  # noqa: PLC0415

    try:
        return keyring.get_password(SERVICE, username)
    except KeyringError:
        return None


def _from_command(command: str) -> str:
    try:
        done = subprocess.run(  # noqa: S603 - the operator's own configured command
            shlex.split(command), capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
        raise SecretError(
            f"password_command could not run ({type(exc).__name__}).",
            fix="Fix: check [imap] password_command in the config.",
        ) from None
    if done.returncode != 0:
        raise SecretError(
            f"password_command failed with exit code {done.returncode}.",
            fix="Fix: run it by hand to see why, then correct [imap] password_command.",
        )
    password = done.stdout.splitlines()[0] if done.stdout else ""
    if not password:
        raise SecretError(
            "password_command printed nothing.",
            fix="Fix: it must print the password on its first line.",
        )
    return password


def find_password(username: str, password_command: str) -> FoundPassword:
    """The IMAP password from keyring, password_command or $BACKUPCHECKS_TUI_IMAP_PASSWORD."""
    stored = _from_keyring(username) if username else None
    if stored:
        return FoundPassword(Secret(stored), "keyring")
    if password_command:
        return FoundPassword(Secret(_from_command(password_command)), "password_command")
    env = os.environ.get(PASSWORD_ENV)
    if env:
        return FoundPassword(Secret(env), f"environment variable {PASSWORD_ENV}")
    why = keyring_status() or f"the keyring has no password for {username!r}"
    raise SecretError(
        f"No IMAP password found: {why}, no password_command is set and {PASSWORD_ENV} is empty.",
        fix="Fix: run `backupchecks-tui set-password`, or " + _NO_KEYRING_FIX[5:],
    )


def store_password(username: str, password: Secret) -> None:
    """Save the password in the keyring, or raise one plain SecretError saying what to use."""
    if not username:
        raise SecretError(
            "No IMAP username is configured.", fix="Fix: set [imap] username in the config first."
        )
    why = keyring_status()
    if why is not None:
        raise SecretError(f"Cannot store the password: {why}.", fix=_NO_KEYRING_FIX)
    import keyring  # noqa: PLC0415
    from keyring.errors import KeyringError  # noqa: PLC0415

    try:
        keyring.set_password(SERVICE, username, password.reveal())
    except KeyringError as exc:
        raise SecretError(
            f"The keyring refused the password ({type(exc).__name__}).", fix=_NO_KEYRING_FIX
        ) from None
