"""The footer: every key the current screen offers, drawn as one line by one widget.

Textual's Footer makes a widget per key and composes them again whenever the bindings
change (a focus move, a selection, a review). On Run Checks that is some twenty widgets
styled and laid out several times while the app starts: about 0.3 s of the start on a jump
host. KeyBar keeps the same line (key, label, disabled keys dimmed, the palette key on the
right) as a single rendered Text, recomputed only when the shown keys really change.
A click on a key presses it: the mouse stays an extra.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget


@dataclass(frozen=True)
class ShownKey:
    """One key of the bar."""

    key: str
    display: str
    description: str
    enabled: bool


class KeyBar(Widget):
    """One line at the bottom: the shown keys of the screen, then the palette key."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "key-bar--key",
        "key-bar--description",
        "key-bar--disabled",
    }
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
    }
    KeyBar > .key-bar--key {
        color: $footer-key-foreground;
        background: $footer-key-background;
        text-style: bold;
    }
    KeyBar > .key-bar--description {
        color: $footer-description-foreground;
        background: $footer-description-background;
    }
    KeyBar > .key-bar--disabled {
        text-style: dim;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self.keys: tuple[ShownKey, ...] = ()
        self.palette: ShownKey | None = None
        self._spans: list[tuple[int, int, ShownKey]] = []

    def on_mount(self) -> None:
        """Follow the screen's bindings."""
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        # not now: the screen's other widgets, which its check_action asks about, may not
        # be mounted yet
        self.call_after_refresh(self._collect)

    def on_unmount(self) -> None:
        """Stop following them."""
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if screen is self.screen:
            self._collect()

    def _collect(self) -> None:
        """The shown keys now (one per action, as Footer does); repaint when they changed."""
        app = self.app
        keys: list[ShownKey] = []
        actions: set[str] = set()
        active = self.screen.active_bindings
        for _node, binding, enabled, _tooltip in active.values():
            if not binding.show or binding.action in actions:
                continue
            actions.add(binding.action)
            keys.append(
                ShownKey(binding.key, app.get_key_display(binding), binding.description, enabled)
            )
        palette = None
        if app.ENABLE_COMMAND_PALETTE and app.COMMAND_PALETTE_BINDING in active:
            _node, binding, enabled, _tooltip = active[app.COMMAND_PALETTE_BINDING]
            palette = ShownKey(
                binding.key, app.get_key_display(binding), binding.description, enabled
            )
        if (tuple(keys), palette) != (self.keys, self.palette):
            self.keys, self.palette = tuple(keys), palette
            self.refresh()

    def _piece(self, key: ShownKey) -> Text:
        style = self.get_component_rich_style
        piece = Text.assemble(
            (f" {key.display} ", style("key-bar--key")),
            (f"{key.description} " if key.description else "", style("key-bar--description")),
        )
        if not key.enabled:
            piece.stylize(style("key-bar--disabled"))
        return piece

    def render(self) -> Text:
        """The keys left to right, cut with '…' where the palette key needs the room."""
        width = self.size.width
        right = Text("▏", style="dim") + self._piece(self.palette) if self.palette else Text()
        room = max(width - right.cell_len, 0)
        line = Text(no_wrap=True, overflow="ellipsis", end="")
        spans: list[tuple[int, int, ShownKey]] = []
        for key in self.keys:
            piece = self._piece(key)
            if line.cell_len + piece.cell_len > room:
                if line.cell_len < room:
                    line.append("…")
                break
            spans.append((line.cell_len, line.cell_len + piece.cell_len, key))
            line.append_text(piece)
        line.pad_right(room - line.cell_len)
        if self.palette:
            spans.append((room, width, self.palette))
        self._spans = spans
        return line + right

    def on_click(self, event: events.Click) -> None:
        """Press the key that was clicked."""
        for start, end, key in self._spans:
            if start <= event.x < end and key.enabled:
                self.app.simulate_key(key.key)
                return
