"""Render an HTML report body as readable text: blocks become lines, table rows become
cells joined by ' | '. Used by parsers that prefer text and by the mail view in the app."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from selectolax.lexbor import LexborHTMLParser, LexborNode

_BLOCKS = frozenset(
    {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "pre", "hr"}
)
_CELLS = frozenset({"td", "th"})
# Private-use characters keep <pre> spacing through the whitespace folding below.
_PRE_SPACE = "\ue000"
_PRE_TAB = "\ue001"
_SPACES = re.compile(r"\s+")
_SKIP = frozenset({"style", "script", "head", "title"})


def html_to_text(tree: LexborHTMLParser) -> str:
    """The text of `tree`, one block per line, table cells separated by ' | '."""
    root = tree.body or tree.root
    if root is None:
        return ""
    out: list[str] = []
    _walk(root, out)
    lines = [" ".join(line.split()) for line in "".join(out).split("\n")]
    text = "\n".join(line.removesuffix(" |") for line in lines if line)
    return text.replace(_PRE_SPACE, " ").replace(_PRE_TAB, "\t")


def _walk(node: LexborNode, out: list[str]) -> None:
    child = node.child
    while child is not None:
        tag = child.tag or ""
        if tag == "-text":
            # HTML collapses whitespace: source line breaks between cells are not lines.
            out.append(_SPACES.sub(" ", child.text_content or ""))
        elif tag in _SKIP or tag.startswith("-"):
            pass
        elif tag == "pre":
            pre = (child.text(deep=True) or "").replace(" ", _PRE_SPACE).replace("\t", _PRE_TAB)
            out.append("\n" + pre + "\n")
        else:
            if tag in _BLOCKS:
                out.append("\n")
            _walk(child, out)
            if tag in _CELLS:
                out.append(" | ")
            elif tag in _BLOCKS:
                out.append("\n")
        child = child.next
