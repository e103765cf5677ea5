"""The ``python`` tool: a ReAct agent runs code in the sandbox and reads the outcome.

The code runs as a script (a final bare expression is shown as its result, and
a ``solution()`` function, if defined, is called), in the same sandbox PAL uses.
Settings come from the ``sandbox`` section (``timeout_s``, ``memory_mb``,
``max_output_chars``, ``max_observation_chars``); executors are shared per
settings and live until the interpreter exits.
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any

from agentcore.models import ExecutionResult, ToolResult
from agentcore.plugin import ToolContext, read_settings_section, tool
from agentcore_sandbox.options import DEFAULT_MAX_OBSERVATION_CHARS, PythonToolSettings
from agentcore_sandbox.rules import ALLOWED_MODULES

if TYPE_CHECKING:
    from agentcore_sandbox.executor import SandboxExecutor

SETTINGS_SECTION = "sandbox"

_executors: dict[tuple[tuple[str, Any], ...], SandboxExecutor] = {}
_lock = threading.Lock()


def shared_executor(options: dict[str, Any]) -> SandboxExecutor:
    """One executor per distinct settings, so a run's tool calls reuse a warm worker."""
    from agentcore_sandbox.executor import SandboxExecutor

    key = tuple(sorted(options.items()))
    with _lock:
        executor = _executors.get(key)
        if executor is None:
            executor = _executors[key] = SandboxExecutor(**options)
        return executor


def run_like_python_tool(executor: SandboxExecutor, code: str) -> ExecutionResult:
    """Exactly what the tool runs; the CLI's ``--script`` uses it too."""
    return executor.execute(
        code, entrypoint="solution", entrypoint_optional=True, value_of_last_expression=True
    )


def describe(result: ExecutionResult, max_chars: int = DEFAULT_MAX_OBSERVATION_CHARS) -> str:
    """The observation a model reads: output, then the result or the error."""
    parts: list[str] = []
    if result.error is not None:
        parts.append(f"Error ({result.error.kind}): {result.error.message}")
        if result.stdout:
            parts.append("Output before the error:\n" + result.stdout.rstrip())
    else:
        if result.stdout:
            parts.append(result.stdout.rstrip())
        if result.value is not None:
            parts.append("Result: " + json.dumps(result.value, ensure_ascii=False))
        if not parts:
            parts.append("(no output: print() the values you want to see)")
    text = "\n".join(parts)
    if len(text) > max_chars:
        text = text[:max_chars] + f"\n... ({len(text) - max_chars:,} more characters cut)"
    return text


@tool(name="python", timeout_s=300)
def python_tool(code: str, ctx: ToolContext) -> ToolResult:
    """Run Python code in a sandbox and show what it prints and its result.

    Args:
        code: A Python program. print() what you want to see; a final expression or the
            return value of a solution() function is shown as the result. No files, network
            or processes.
    """
    settings = read_settings_section(ctx.settings, SETTINGS_SECTION, PythonToolSettings)
    max_chars = settings.max_observation_chars
    result = run_like_python_tool(shared_executor(settings.executor_options()), code)
    return ToolResult(
        tool="python",
        ok=result.ok,
        observation=describe(result, max_chars),
        error_kind=result.error.kind if result.error else None,
        duration_s=result.duration_s,
        data=result.model_dump(),
    )


python_tool.description += " Importable modules: " + ", ".join(ALLOWED_MODULES) + "."
