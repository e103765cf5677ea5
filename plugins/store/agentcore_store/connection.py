"""Short-lived connections to the store file, with a brief retry on lock conflicts.

DuckDB lets one process at a time open a file for writing. Every use here opens
the file, does its work and closes it again, so several agentcore processes can
share one store: a process that finds the file locked waits a little and retries.
Inside one process a lock serialises the threads (DuckDB shares one database
instance per file within a process, and schema creation must not race).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from agentcore_store.errors import StoreError
from agentcore_store.schema import ensure_schema

_process_lock = threading.RLock()
FIRST_BACKOFF_S = 0.01
MAX_BACKOFF_S = 0.2
_sleep = time.sleep  # the wait between attempts (a seam for tests to observe refusals)


def _is_lock_conflict(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text)


def connect_waiting(path: Path, wait_s: float) -> Any:
    """A connection to ``path``, retried while another process holds the file (``wait_s``)."""
    with _process_lock:
        return _connect(path, wait_s)


def _connect(path: Path, wait_s: float) -> Any:
    import duckdb

    deadline = time.monotonic() + wait_s
    backoff = FIRST_BACKOFF_S
    while True:
        try:
            return duckdb.connect(str(path))
        except duckdb.Error as exc:
            if not _is_lock_conflict(exc):
                raise StoreError(
                    f"cannot open the run store {path}: {exc}; point AGENTCORE_STORE at a "
                    "DuckDB file (or a new path), or set AGENTCORE_STORE=off"
                ) from exc
            if time.monotonic() >= deadline:
                raise StoreError(
                    f"the run store {path} stayed locked by another process for {wait_s:g} s: {exc}"
                ) from exc
            _sleep(min(backoff, max(0.0, deadline - time.monotonic())))
            backoff = min(backoff * 2, MAX_BACKOFF_S)


@contextmanager
def open_store(path: Path, *, wait_s: float, create: bool = True) -> Iterator[Any | None]:
    """A connection with an up-to-date schema, closed on exit.

    With ``create=False`` a missing file yields ``None`` instead of being created
    (so reading commands never leave an empty store behind).
    """
    with _process_lock:
        if not path.exists():
            if not create:
                yield None
                return
            path.parent.mkdir(parents=True, exist_ok=True)
        elif path.is_dir():
            raise StoreError(
                f"the run store {path} is a directory; point AGENTCORE_STORE at a file"
            )
        con = _connect(path, wait_s)
        try:
            ensure_schema(con, str(path))
            yield con
        finally:
            con.close()


@contextmanager
def transaction(con: Any) -> Iterator[Any]:
    """BEGIN … COMMIT, rolled back if anything fails."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
