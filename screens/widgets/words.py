"""Counted nouns for headers and notices: "1 job", "2 jobs", "1 mail"."""

from __future__ import annotations


def counted(count: int, noun: str, plural: str = "") -> str:
    """`count` and `noun`, in the plural unless the count is one."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"
