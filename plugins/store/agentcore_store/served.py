"""The ``duckdb`` run store: a server's runs, feedback and conversations in one DuckDB file.

DuckDB lets one process at a time write a file, so this store is for one server process:
it holds one connection for its life (no reopening per request) and serialises the
threads that use it. A second process that opens the same file is refused with a message
saying so; several replicas share a ``postgresql://`` store instead.

``hold=False`` opens the file for each operation instead, waiting briefly while another
process has it: durable runs from the command line take it, so ``agentcore runs approve``
in another terminal can reach a paused run's checkpoint (about 33 ms a commit against 6 ms
held open, ``benchmarks/store_overhead.py``; a model step takes seconds).

The file is separate from the trace store (``AGENTCORE_STORE``), which the engine's hooks
keep writing as for any run; the tables and their SQL are
:class:`agentcore.plugin.SqlRunStore`'s.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from agentcore.plugin import ConfigError, SqlRunStore

#: How long a ``hold=False`` store waits for another process to release the file.
SHARED_WAIT_S = 10.0


class DuckDBRunStore(SqlRunStore):
    def __init__(self, path: str | Path, *, hold: bool = True, wait_s: float = SHARED_WAIT_S):
        import duckdb

        self.path = Path(path).expanduser()
        self.where = f"the run store {self.path}"
        if self.path.is_dir():
            raise ConfigError(f"{self.where} is a directory; name a .duckdb file")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.hold, self.wait_s = hold, wait_s
        self._con: Any = None
        if not hold:
            self.create_schema()
            return
        try:
            self._con: Any = duckdb.connect(str(self.path))
        except duckdb.Error as exc:
            held = "lock" in str(exc).lower()
            raise ConfigError(
                f"cannot open {self.where}: "
                + (
                    "another process has it open (a DuckDB store serves one process; give "
                    "each server its own file, or share a postgresql:// store)"
                    if held
                    else str(exc)
                )
            ) from None
        self.create_schema()

    @contextmanager
    def connection(self) -> Iterator[Any]:
        if not self.hold:
            with self._lock, _shared_connection(self.path, self.wait_s) as con:
                yield con
            return
        with self._lock:
            if self._con is None:
                raise ConfigError(f"{self.where} is closed")
            yield self._con

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None


@contextmanager
def _shared_connection(path: Path, wait_s: float) -> Iterator[Any]:
    """A connection of its own to ``path``, in a transaction, closed after one operation."""
    from agentcore_store.connection import connect_waiting, transaction

    con = connect_waiting(path, wait_s)
    try:
        with transaction(con):
            yield con
    finally:
        con.close()
