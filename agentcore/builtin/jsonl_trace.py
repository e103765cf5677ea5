"""Write every finished run as one JSON line, when ``AGENTCORE_TRACE_FILE`` is set.

Tracing is an event-hook plugin like any other storage: the record written is
the same :class:`~agentcore.models.RunResult` the CLI renders.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from agentcore.hookspecs import hookimpl
from agentcore.models import RunResult

TRACE_ENV = "AGENTCORE_TRACE_FILE"
_lock = threading.Lock()


@hookimpl
def on_run_end(result: RunResult) -> None:
    target = os.environ.get(TRACE_ENV)
    if not target:
        return
    path = Path(target).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    line = result.model_dump_json() + "\n"
    with _lock, path.open("a", encoding="utf-8") as handle:
        handle.write(line)
