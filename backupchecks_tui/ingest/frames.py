"""Length-prefixed frames on a pipe: how ingest talks to its helper processes.

Both the look-ahead parse worker (`prepare`) and the deadline's parse child
(`deadline`) send pickled data this way over their stdin/stdout.
"""

from __future__ import annotations

import struct
from typing import IO

_HEADER = struct.Struct("!Q")


def write_frame(stream: IO[bytes], data: bytes) -> None:
    """Write `data` as one frame and flush."""
    stream.write(_HEADER.pack(len(data)))
    stream.write(data)
    stream.flush()


def read_frame(stream: IO[bytes]) -> bytes | None:
    """The next frame, or None at EOF or on a cut-off frame."""
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(head)
    data = stream.read(size)
    return data if len(data) == size else None
