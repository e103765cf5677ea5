"""Hook implementations of the sandbox plugin (kept light: nothing heavy is imported here)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from agentcore.hookspecs import hookimpl

if TYPE_CHECKING:
    import click

    from agentcore_sandbox.executor import SandboxExecutor


def make_executor(**options: Any) -> SandboxExecutor:
    """Build a :class:`~agentcore_sandbox.executor.SandboxExecutor` (imported on first use)."""
    from agentcore_sandbox.executor import SandboxExecutor

    return SandboxExecutor(**options)


@hookimpl
def register_executors(register: Callable[..., None]) -> None:
    register(
        "sandbox",
        make_executor,
        description="RestrictedPython in resource-limited, warm worker processes",
    )


@hookimpl
def register_tools(register: Callable[..., None]) -> None:
    from agentcore_sandbox.tool import python_tool

    register(python_tool)


@hookimpl
def register_commands(cli: click.Group) -> None:
    from agentcore_sandbox.cli import sandbox_group

    cli.add_command(sandbox_group)
