"""Length-prefixed JSON messages over a pipe, used by both ends of the worker link.

A message is a 4-byte big-endian length followed by that many bytes of
ASCII-only JSON. Both ends refuse a message above a size limit, so neither side can be made
to buffer an unbounded amount of data by the other.
"""

from __future__ import annotations

import json
import os
import select
import signal
import struct
import time
from typing import Any

# Bound at import: a program that patches the json module changes only its own view.
_json_dumps = json.dumps
_json_loads = json.loads

HEADER = struct.Struct(">I")
MAX_MESSAGE_BYTES = 64 * 1024 * 1024


class ProtocolError(Exception):
    """The other end sent something that is not a well-formed message."""


class DeadlinePassed(Exception):
    """The other end did not send a whole message before the deadline."""


def encode(message: dict[str, Any]) -> bytes:
    """One message as bytes ready to write."""
    # ASCII-only JSON: any str, even one with lone surrogates, survives the trip.
    body = _json_dumps(message, ensure_ascii=True, allow_nan=False).encode("ascii")
    if len(body) > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"message of {len(body)} bytes exceeds {MAX_MESSAGE_BYTES}")
    return HEADER.pack(len(body)) + body


def write_message(fd: int, message: dict[str, Any]) -> None:
    """Write one whole message to a file descriptor (blocking)."""
    write_raw(fd, encode(message))


def read_exact(fd: int, size: int, deadline: float | None = None) -> bytes | None:
    """Read exactly ``size`` bytes, or ``None`` on end of file before the first byte.

    With a ``deadline`` (a :func:`time.monotonic` value) raise :class:`DeadlinePassed`
    when it comes before the last byte.
    """
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise DeadlinePassed
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            if remaining == size:
                return None
            raise ProtocolError("pipe closed in the middle of a message")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_raw(
    fd: int, max_bytes: int = MAX_MESSAGE_BYTES, deadline: float | None = None
) -> bytes | None:
    """Read one whole message, header included, unparsed; ``None`` when the pipe is closed."""
    header = read_exact(fd, HEADER.size, deadline)
    if header is None:
        return None
    (length,) = HEADER.unpack(header)
    if length > max_bytes:
        raise ProtocolError(f"message of {length} bytes exceeds the {max_bytes}-byte limit")
    body = read_exact(fd, length, deadline)
    if body is None:
        raise ProtocolError("pipe closed after a message header")
    return header + body


def read_message(
    fd: int, max_bytes: int = MAX_MESSAGE_BYTES, deadline: float | None = None
) -> dict[str, Any] | None:
    """Read one message; ``None`` when the pipe is closed."""
    raw = read_raw(fd, max_bytes, deadline)
    return None if raw is None else decode(raw[HEADER.size :])


def write_raw(fd: int, data: bytes) -> None:
    """Write bytes that already are a whole message."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def describe_exit(status: int | None, who: str = "the program") -> tuple[str, str]:
    """The error kind and message for a process that ended with ``status`` (``-N``: signal N)."""
    if status is None:
        return "crashed", f"{who} stopped answering"
    if status < 0:
        number = -status
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        if number == signal.SIGXCPU:
            return "timeout", "the program used up its CPU time limit and was stopped"
        if number == signal.SIGKILL:
            return "crashed", f"{who} was killed (SIGKILL), e.g. by the system's OOM killer"
        return "crashed", f"{who} crashed ({name})"
    return "crashed", f"{who} exited unexpectedly with status {status}"


def decode(body: bytes) -> dict[str, Any]:
    """Parse a message body; it must be a JSON object."""
    try:
        message = _json_loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProtocolError(f"message is not JSON: {exc}") from exc
    if not isinstance(message, dict):
        raise ProtocolError("message is not a JSON object")
    return message
