"""The query process: runs the model's SQL with the kernel's memory limit and its own deadline.

DuckDB's ``memory_limit`` bounds its buffer manager, not every allocation: ``repeat``,
``lpad``, ``printf`` widths and ``range`` as a list build their values outside it, and the
optimizer folds such constants while merely planning (``EXPLAIN``). Measured in one process
with ``memory_limit='200MB'``: ``repeat('x', 10^9)`` took 2 GB, ``len(range(3*10^8))`` 15 GB
and a minute, ignoring the interrupt. No DuckDB setting stops that, so the queries run here,
in a child process of the engine:

* ``RLIMIT_AS`` caps the whole process (DuckDB's own limit plus room for the interpreter);
  an allocation past it fails, and DuckDB turns that into an out-of-memory error;
* the query's own timer interrupts DuckDB at the time limit (:mod:`agentcore_duckdb.execute`),
  the engine ends this process when an interrupt does not take, and a watchdog here ends it
  too, should the engine be gone;
* it reads one JSON line per query from stdin and answers one JSON line (a
  :class:`~agentcore_duckdb.results.QueryResult`, already cut to the result caps) on stdout.

The first line it reads sets it up: ``{"path", "config", "address_space_bytes",
"watchdog_grace_s"}``; it answers ``{"ready": true}`` or ``{"ready": false, "error": ...}``.
A query line is ``{"query", "timeout_s", "caps", "hidden", "policy"?}`` (the policy is sent
when it changes). Run as ``python -m agentcore_duckdb.worker``.
"""

from __future__ import annotations

import json
import os
import resource
import sys
from typing import Any, BinaryIO


def main() -> int:
    stdin: BinaryIO = sys.stdin.buffer
    stdout: BinaryIO = sys.stdout.buffer
    setup = json.loads(stdin.readline() or "{}")
    limit = int(setup.get("address_space_bytes") or 0)
    if limit > 0:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash leaves no core file behind
    sys.setrecursionlimit(5000)  # decoding a parse tree at DuckDB's maximum depth needs more

    import duckdb

    from agentcore_duckdb.confine import Policy
    from agentcore_duckdb.execute import MEMORY_MESSAGE, Alarm, Caps, execute

    try:
        conn = duckdb.connect(setup["path"], read_only=True, config=setup["config"])
    except duckdb.Error as exc:
        _send(stdout, {"ready": False, "error": str(exc).splitlines()[0] if str(exc) else ""})
        return 1
    alarm = Alarm()  # the one thread for every query's interrupt and watchdog
    _send(stdout, {"ready": True})
    grace = float(setup.get("watchdog_grace_s", 5.0))
    policy: Policy | None = None
    for line in stdin:
        request = json.loads(line)
        if "policy" in request:
            policy = Policy.from_json(request["policy"])
        assert policy is not None, "the first query must carry the policy"
        timeout_s = float(request["timeout_s"])
        alarm.set("watchdog", timeout_s + grace, lambda: os._exit(3))  # the engine is gone?
        try:
            result = execute(
                conn,
                request["query"],
                policy=policy,
                hidden=frozenset(request["hidden"]),
                caps=Caps(**request["caps"]),
                timeout_s=timeout_s,
                alarm=alarm,
            )
            payload: dict[str, Any] = result.model_dump()
            _send(stdout, payload)
        except MemoryError:
            _send(stdout, {"error": {"kind": "memory_limit", "message": MEMORY_MESSAGE}})
        finally:
            alarm.clear("watchdog")
    conn.close()
    return 0


def _send(stdout: BinaryIO, payload: dict[str, Any]) -> None:
    stdout.write(json.dumps(payload, ensure_ascii=False).encode() + b"\n")
    stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
