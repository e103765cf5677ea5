"""A small persistent ledger of emails sent, so no email is ever sent twice.

One JSON file (``sent_emails.json`` in the state directory) maps each email's
deterministic key to what happened to it. It is read and written under an
exclusive file lock held for the whole send, so two tool calls racing to send the
same email — from two threads or two processes — cannot both send it. Writes
are atomic (temporary file + rename): a crash never leaves a half-written ledger.

States: ``sending`` is recorded just before the message content is handed to
the SMTP server and ``sent`` once the server accepted it. A ``sending`` entry
found later means a previous attempt died at the one moment where delivery is
unknowable; the mailer then refuses to resend rather than risk a duplicate.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

LEDGER_NAME = "sent_emails.json"
_VERSION = 1
_locks_guard = threading.Lock()
_path_locks: dict[Path, threading.Lock] = {}  # flock is per open file; these order our threads


def _thread_lock_for(path: Path) -> threading.Lock:
    with _locks_guard:
        return _path_locks.setdefault(path.resolve(), threading.Lock())


class LedgerError(Exception):
    """The ledger file exists but cannot be read; sending would risk duplicates."""


class SentLedger:
    """Access to the ledger file in ``state_dir``; use :meth:`open` to read or change it."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = Path(state_dir)
        self.path = self.state_dir / LEDGER_NAME

    @contextmanager
    def open(self) -> Iterator[LedgerSession]:
        """Hold the ledger exclusively while the body runs."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        lock_path = self.state_dir / (LEDGER_NAME + ".lock")
        with _thread_lock_for(self.path), open(lock_path, "a+b") as lock_file:
            _flock(lock_file)
            try:
                yield LedgerSession(self.path, self._load())
            finally:
                _funlock(lock_file)

    def entries(self) -> dict[str, dict[str, Any]]:
        """A snapshot of the ledger (for inspection and tests)."""
        with self.open() as session:
            return dict(session.entries)

    def _load(self) -> dict[str, dict[str, Any]]:
        if not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise LedgerError(
                f"the sent-email ledger {self.path} cannot be read ({exc}); fix or move it "
                "aside — without it, emails already sent could be sent again"
            ) from exc
        entries = data.get("messages") if isinstance(data, dict) else None
        if not isinstance(entries, dict):
            raise LedgerError(f"the sent-email ledger {self.path} has no 'messages' object")
        return entries


class LedgerSession:
    """The ledger while its lock is held: read entries, and persist each change at once."""

    def __init__(self, path: Path, entries: dict[str, dict[str, Any]]) -> None:
        self.path = path
        self.entries = entries

    def get(self, key: str) -> dict[str, Any] | None:
        return self.entries.get(key)

    def put(self, key: str, entry: dict[str, Any]) -> None:
        self.entries[key] = entry
        self._write()

    def remove(self, key: str) -> None:
        if self.entries.pop(key, None) is not None:
            self._write()

    def _write(self) -> None:
        payload = json.dumps(
            {"version": _VERSION, "messages": self.entries}, indent=1, sort_keys=True
        )
        fd, tmp = tempfile.mkstemp(prefix=".ledger.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _flock(handle: Any) -> None:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: the thread lock is all we have
        return
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX)


def _funlock(handle: Any) -> None:
    try:
        import fcntl
    except ImportError:  # pragma: no cover
        return
    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
