"""Length-prefixed JSON messages over a pipe, used by both ends of the worker link.

A message is a 4-byte big-endian length followed by that many bytes of
ASCII-only JSON. Both ends refuse a message above a size limit, so neither side can be made
to buffer an unbounded amount of data by the other.
"""

from __future__ import annotations

import json
import os
import struct
from typing import Any

HEADER = struct.Struct(">I")
MAX_MESSAGE_BYTES = 64 * 1024 * 1024


class ProtocolError(Exception):
    """The other end sent something that is not a well-formed message."""


def encode(message: dict[str, Any]) -> bytes:
    """One message as bytes ready to write."""
    # ASCII-only JSON: any str, even one with lone surrogates, survives the trip.
    body = json.dumps(message, ensure_ascii=True, allow_nan=False).encode("ascii")
    if len(body) > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"message of {len(body)} bytes exceeds {MAX_MESSAGE_BYTES}")
    return HEADER.pack(len(body)) + body


def write_message(fd: int, message: dict[str, Any]) -> None:
    """Write one whole message to a file descriptor (blocking)."""
    view = memoryview(encode(message))
    while view:
        written = os.write(fd, view)
        view = view[written:]


def read_exact(fd: int, size: int) -> bytes | None:
    """Read exactly ``size`` bytes, or ``None`` on end of file before the first byte."""
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            if remaining == size:
                return None
            raise ProtocolError("pipe closed in the middle of a message")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_message(fd: int, max_bytes: int = MAX_MESSAGE_BYTES) -> dict[str, Any] | None:
    """Read one message (blocking); ``None`` when the pipe is closed."""
    header = read_exact(fd, HEADER.size)
    if header is None:
        return None
    (length,) = HEADER.unpack(header)
    if length > max_bytes:
        raise ProtocolError(f"message of {length} bytes exceeds the {max_bytes}-byte limit")
    body = read_exact(fd, length)
    if body is None:
        raise ProtocolError("pipe closed after a message header")
    return decode(body)


def decode(body: bytes) -> dict[str, Any]:
    """Parse a message body; it must be a JSON object."""
    try:
        message = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProtocolError(f"message is not JSON: {exc}") from exc
    if not isinstance(message, dict):
        raise ProtocolError("message is not a JSON object")
    return message
