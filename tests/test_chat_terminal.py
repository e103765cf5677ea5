"""`agentcore chat` on a real terminal (a pseudo-terminal): line editing and kept history.

The chat reads what the user types with readline, so ↑ recalls an earlier message, and the
history is written to agentcore's cache directory for the next session.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

HANG_GUARD_S = 60  # only guards against a hung child; nothing here is timed


def _read_until(fd: int, needle: bytes, seen: bytearray) -> None:
    deadline = time.monotonic() + HANG_GUARD_S
    while needle not in seen:
        if time.monotonic() > deadline:
            raise AssertionError(f"never saw {needle!r}; got {bytes(seen)[-500:]!r}")
        ready, _, _ = select.select([fd], [], [], 1)
        if ready:
            try:
                seen += os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                return


@pytest.mark.skipif(not hasattr(pty, "openpty"), reason="needs a pseudo-terminal")
def test_arrow_up_recalls_a_message_and_history_is_kept(tmp_path: Path) -> None:
    controller, terminal = pty.openpty()
    env = {**os.environ, "AGENTCORE_CACHE": str(tmp_path), "TERM": "xterm"}
    child = subprocess.Popen(
        [sys.executable, "-m", "agentcore.cli", "chat", "-b", "scripted",
         "-o", "completions= Greet.\nAction: respond[Hello!]"],
        stdin=terminal, stdout=terminal, stderr=terminal, env=env, close_fds=True,
    )  # fmt: skip
    os.close(terminal)
    seen = bytearray()
    try:
        _read_until(controller, b"you> ", seen)
        os.write(controller, b"where is my parcel\r")
        _read_until(controller, b"agent> Hello!", seen)
        _read_until(controller, b"you> ", seen)
        del seen[:]
        os.write(controller, b"\x1b[A")  # ↑: readline puts the last message back on the line
        _read_until(controller, b"where is my parcel", seen)
        os.write(controller, b"\x15exit\r")  # Ctrl-U clears the line; then leave
        assert child.wait(timeout=HANG_GUARD_S) == 0
    finally:
        if child.poll() is None:
            child.kill()
        os.close(controller)
    history = (tmp_path / "chat_history").read_text(encoding="utf-8")
    assert "where is my parcel" in history.splitlines()
