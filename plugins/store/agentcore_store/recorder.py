"""Buffering a run from the engine's events and handing it to the writer when it ends.

Every handler swallows its own failures: storage must never break a run. The
first failure for a store file is reported on stderr once; later ones are quiet
(the run itself still reports nothing unusual). duckdb is imported by the writer
only when a run actually starts with the store enabled.
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentcore.models import Completion, GenerationConfig, RunInfo, RunResult
from agentcore_store.config import store_path
from agentcore_store.rows import LLMCall

#: How long a hook waits for another process to release the store file.
START_WAIT_S = 1.0
END_WAIT_S = 5.0


@dataclass
class RunBuffer:
    """What the events told us about one run, until it ends."""

    path: Path
    info: RunInfo
    calls: list[LLMCall] = field(default_factory=list)
    tool_errors: dict[tuple[int, str], str] = field(default_factory=dict)


_buffers: dict[str, RunBuffer] = {}
_lock = threading.Lock()
_warned: set[str] = set()


def _warn_once(path: Path | None, what: str, exc: BaseException) -> None:
    key = str(path)
    with _lock:
        if key in _warned:
            return
        _warned.add(key)
    sys.stderr.write(
        f"agentcore-store: could not {what} in {path}: {type(exc).__name__}: {exc}. "
        "The run goes on; its trace may be missing from the store (set AGENTCORE_STORE to "
        "another file, or AGENTCORE_STORE=off). This warning is shown once.\n"
    )


def run_started(info: RunInfo) -> None:
    path = None
    try:
        path = store_path()
        if path is None:
            return
        with _lock:
            _buffers[info.run_id] = RunBuffer(path, info)
        from agentcore_store.writer import write_run_start

        write_run_start(path, info, wait_s=START_WAIT_S)
    except Exception as exc:
        _warn_once(path, f"record the start of run {info.run_id}", exc)


def llm_call_started(run_id: str, step_index: int, prompt: str, config: GenerationConfig) -> None:
    with _lock:
        buffer = _buffers.get(run_id)
        if buffer is not None:
            buffer.calls.append(LLMCall(step_index, prompt, config, time.time()))


def llm_call_finished(run_id: str, step_index: int, prompt: str, completion: Completion) -> None:
    with _lock:
        buffer = _buffers.get(run_id)
        if buffer is None:
            return
        for call in reversed(buffer.calls):
            if call.completion is None and call.step_index == step_index:
                call.completion = completion
                return
        # a call we did not see start: keep it anyway
        call = LLMCall(step_index, prompt, None, time.time(), completion)
        buffer.calls.append(call)


def tool_failed(run_id: str, step_index: int, tool: str, message: str) -> None:
    with _lock:
        buffer = _buffers.get(run_id)
        if buffer is not None:
            buffer.tool_errors[(step_index, tool)] = message


def run_ended(result: RunResult) -> None:
    with _lock:
        buffer = _buffers.pop(result.run_id, None)
    path = buffer.path if buffer is not None else None
    try:
        if path is None:  # the store missed the start (plugin added mid-run): store what we can
            path = store_path()
            if path is None:
                return
        from agentcore_store.writer import write_run

        write_run(
            path,
            result,
            info=buffer.info if buffer else None,
            calls=buffer.calls if buffer else None,
            tool_errors=buffer.tool_errors if buffer else {},
            wait_s=END_WAIT_S,
        )
    except Exception as exc:
        _warn_once(path, f"store run {result.run_id}", exc)


def feedback_given(run_id: str, rating: str, note: str | None) -> None:
    """Store a rating given outside the CLI (a server's API); raises if it cannot be kept,
    so the caller's plugin manager records the failure."""
    path = store_path()
    if path is None:
        return
    from agentcore_store.connection import open_store
    from agentcore_store.queries import add_feedback

    with open_store(path, wait_s=END_WAIT_S) as con:
        if con is not None:
            add_feedback(con, run_id, rating, note)


def eval_result_scored(eval_id: str, dataset: str, metric: str, result: dict[str, Any]) -> None:
    """Keep one eval item's score beside the run that answered it; raises if it cannot be
    kept, so the caller's plugin manager records the failure."""
    path = store_path()
    if path is None:
        return
    import json
    from datetime import UTC, datetime

    from agentcore_store.connection import open_store

    with open_store(path, wait_s=END_WAIT_S) as con:
        if con is not None:
            con.execute(
                "INSERT OR REPLACE INTO eval_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    eval_id, dataset, metric, str(result["id"]), result.get("run_id"),
                    result.get("status"), result.get("answer"), result.get("reference"),
                    json.dumps(result.get("scores") or {}), result.get("failure"),
                    datetime.now(UTC).replace(tzinfo=None),
                ],
            )  # fmt: skip
