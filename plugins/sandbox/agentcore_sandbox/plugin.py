"""Hook implementations of the sandbox plugin (kept light: nothing heavy is imported here)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from agentcore.plugin import hookimpl

if TYPE_CHECKING:
    from agentcore_sandbox.executor import SandboxExecutor


def make_executor(**options: Any) -> SandboxExecutor:
    """Build a :class:`~agentcore_sandbox.executor.SandboxExecutor` (imported on first use)."""
    from agentcore_sandbox.executor import SandboxExecutor

    return SandboxExecutor(**options)


@hookimpl
def register_executors(register: Callable[..., None]) -> None:
    from agentcore_sandbox.options import SandboxOptions

    register(
        "sandbox",
        make_executor,
        description="RestrictedPython in resource-limited, warm worker processes",
        options=SandboxOptions,
    )


@hookimpl
def register_tools(register: Callable[..., None]) -> None:
    from agentcore_sandbox.tool import python_tool

    register(python_tool)


@hookimpl
def register_settings(register: Callable[..., None]) -> None:
    from agentcore_sandbox.options import PythonToolSettings

    register("sandbox", PythonToolSettings, description="the python tool's sandbox")
