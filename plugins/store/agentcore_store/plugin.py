"""Hook implementations of the ``store`` plugin (kept light: no duckdb import here).

Event hooks buffer each run and store it in DuckDB when it ends (see
:mod:`agentcore_store.recorder`). There is no ``on_step`` hook: the
:class:`~agentcore.models.RunResult` given to ``on_run_end`` already holds every step; what
only the events carry is each call's full prompt and settings. ``register_stores`` offers the
``duckdb`` conversation store (``agentcore chat --store FILE.duckdb``), ``register_run_stores``
the ``duckdb`` run store of ``agentcore serve``. ``agentcore runs``,
``agentcore feedback`` and ``agentcore export`` are declared in the ``agentcore.commands``
entry points (pyproject.toml) and imported only when used.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentcore.plugin import hookimpl
from agentcore_store import recorder

if TYPE_CHECKING:
    from agentcore.models import Completion, GenerationConfig, RunInfo, RunResult
    from agentcore_store.conversations import DuckDBConversationStore
    from agentcore_store.served import DuckDBRunStore


@hookimpl
def on_run_start(run: RunInfo) -> None:
    recorder.run_started(run)


@hookimpl
def before_llm_call(run_id: str, step_index: int, prompt: str, config: GenerationConfig) -> None:
    recorder.llm_call_started(run_id, step_index, prompt, config)


@hookimpl
def after_llm_call(run_id: str, step_index: int, prompt: str, completion: Completion) -> None:
    recorder.llm_call_finished(run_id, step_index, prompt, completion)


@hookimpl
def on_tool_error(run_id: str, step_index: int, tool: str, error_kind: str, message: str) -> None:
    recorder.tool_failed(run_id, step_index, tool, message)


@hookimpl
def on_run_end(result: RunResult) -> None:
    recorder.run_ended(result)


@hookimpl
def on_feedback(run_id: str, rating: str, note: str | None, source: str) -> None:
    recorder.feedback_given(run_id, rating, note)


@hookimpl
def on_eval_result(eval_id: str, dataset: str, metric: str, result: dict[str, Any]) -> None:
    recorder.eval_result_scored(eval_id, dataset, metric, result)


def make_conversation_store(path: str | Path) -> DuckDBConversationStore:
    """Chat sessions in the ``conversations`` table of a store file (duckdb loads on use)."""
    from agentcore_store.conversations import DuckDBConversationStore

    return DuckDBConversationStore(path)


@hookimpl
def register_stores(register: Callable[..., None]) -> None:
    register(
        "duckdb",
        make_conversation_store,
        description="chat sessions in a DuckDB file, shared safely between processes",
    )


def make_run_store(path: str | Path, hold: bool = True, wait_s: float = 10.0) -> DuckDBRunStore:
    """A server's runs, feedback, conversations and checkpoints in a DuckDB file: held by one
    process, or (``hold=False``) opened per operation so several processes take turns."""
    from agentcore_store.served import DuckDBRunStore

    return DuckDBRunStore(path, hold=hold, wait_s=wait_s)


@hookimpl
def register_run_stores(register: Callable[..., None]) -> None:
    register(
        "duckdb",
        make_run_store,
        description="served runs, feedback and conversations in a DuckDB file (one process)",
    )
