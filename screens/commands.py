"""Commands declared once: key, footer label, palette entry and help text in one place.

A screen lists its `Command`s; `bindings()` turns them into Textual bindings, the palette
provider and the help screen read the same list, and the screen's `check_action` hides
or refuses what does not apply.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from textual.screen import Screen


@dataclass(frozen=True)
class Command:
    """One user command."""

    action: str
    """The action it runs (`action_<name>` on the screen or app)."""
    key: str
    """Key(s), comma separated, as Textual names them."""
    label: str
    """Short footer label and palette title."""
    help: str
    """One sentence for the help screen and the palette."""
    show: bool = True
    """Shown in the footer."""
    key_display: str | None = None
    """How the key is shown, when its name is not what people type."""
    priority: bool = False
    """Checked before focused widgets' own bindings."""

    @property
    def shown_key(self) -> str:
        """The key as people read it."""
        return self.key_display or self.key.split(",")[0]


def bindings(commands: Iterable[Command]) -> list[Binding]:
    """Textual bindings for `commands`."""
    return [
        Binding(
            c.key,
            c.action,
            c.label,
            show=c.show,
            key_display=c.key_display,
            tooltip=c.help,
            id=c.action,
            priority=c.priority,
        )
        for c in commands
    ]


class HasCommands:
    """Mixin for screens (and the app) that declare their commands."""

    COMMAND_LIST: ClassVar[Sequence[Command]] = ()


def available(screen: Screen[object]) -> list[tuple[Command, object]]:
    """Commands of `screen` and its app that apply now, with the node that runs them."""
    found: list[tuple[Command, object]] = []
    for node in (screen, screen.app):
        for command in getattr(node, "COMMAND_LIST", ()):
            allowed = node.check_action(command.action, ())
            if allowed:
                found.append((command, node))
    return found


class CommandsProvider(Provider):
    """Palette entries for the current screen's and the app's commands."""

    async def discover(self) -> Hits:
        """Every available command, as typed into an empty palette."""
        for command, node in available(self.screen):
            yield DiscoveryHit(
                f"{command.label} ({command.shown_key})",
                partial(_run, node, command.action),
                help=command.help,
            )

    async def search(self, query: str) -> Hits:
        """Commands whose label or help matches `query`."""
        matcher = self.matcher(query)
        for command, node in available(self.screen):
            text = f"{command.label} ({command.shown_key})"
            score = max(matcher.match(text), matcher.match(command.help) * 0.8)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(text),
                    partial(_run, node, command.action),
                    text=text,
                    help=command.help,
                )


async def _run(node: object, action: str) -> None:
    run_action = getattr(node, "run_action")  # noqa: B009 - Screen and App both have it
    await run_action(action)
