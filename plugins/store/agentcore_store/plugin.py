"""Hook implementations of the ``store`` plugin (kept light: no duckdb import here).

Event hooks buffer each run and store it in DuckDB when it ends (see
:mod:`agentcore_store.recorder`); ``register_commands`` adds ``agentcore runs``,
``agentcore feedback`` and ``agentcore export``. There is no ``on_step`` hook:
the :class:`~agentcore.models.RunResult` given to ``on_run_end`` already holds
every step; what only the events carry is each call's full prompt and settings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentcore.hookspecs import hookimpl
from agentcore_store import recorder

if TYPE_CHECKING:
    import click

    from agentcore.models import Completion, GenerationConfig, RunInfo, RunResult


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
def register_commands(cli: click.Group) -> None:
    from agentcore_store.cli import export_command, feedback_command, runs_group

    cli.add_command(runs_group)
    cli.add_command(feedback_command)
    cli.add_command(export_command)
