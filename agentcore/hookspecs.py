"""The whole contract between the engine and its plugins.

A plugin is a module (or object) with functions marked ``@hookimpl`` whose names
match the specifications below. Provider hooks use the register-callback style:
the engine passes a ``register`` function and the plugin calls it once per thing
it provides, so a plugin can provide none, one or many without returning lists.

Provider factories must be cheap to *register*: heavy libraries (torch,
llama_cpp, duckdb, RestrictedPython, ...) are imported only when the factory is
called, i.e. when a user actually asks for that backend, tool or executor.

Event hooks are called by the engine as a run proceeds. They receive the same
pydantic records the run result is made of, must not raise (an exception is
reported and ignored) and should return quickly: they run on the agent's thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import click

    from agentcore.models import Completion, GenerationConfig, RunInfo, RunResult, Step

PROJECT_NAME = "agentcore"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


# --- providers ---------------------------------------------------------------------------


@hookspec
def register_backends(register: Callable[..., None]) -> None:
    """Provide LLM backends.

    Call ``register(name, factory, description="...")`` once per backend.
    ``factory(**options)`` returns an :class:`agentcore.backends.LLMBackend`;
    options come from the CLI (``--model``, ``-o key=value``) or the API.
    """


@hookspec
def register_tools(register: Callable[..., None]) -> None:
    """Provide tools an agent can call.

    Call ``register(tool)`` with an :class:`agentcore.tools.Tool` (usually made
    with the ``@tool`` decorator). A tool's settings (database path, wiki mode,
    ...) reach it through its :class:`agentcore.tools.ToolContext`.
    """


@hookspec
def register_retrievers(register: Callable[..., None]) -> None:
    """Provide retrievers for retrieval-augmented generation.

    Call ``register(name, factory, description="...")``; ``factory(**options)``
    returns an :class:`agentcore.retrievers.Retriever`.
    """


@hookspec
def register_executors(register: Callable[..., None]) -> None:
    """Provide code executors that run model-written programs (PAL).

    Call ``register(name, factory, description="...")``; ``factory(**options)``
    returns an :class:`agentcore.executors.CodeExecutor`. Executors must run code
    outside the engine's process.
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add subcommands to the ``agentcore`` command line."""


# --- events ------------------------------------------------------------------------------


@hookspec
def on_run_start(run: RunInfo) -> None:
    """A run has started."""


@hookspec
def before_llm_call(run_id: str, step_index: int, prompt: str, config: GenerationConfig) -> None:
    """The engine is about to call the backend."""


@hookspec
def after_llm_call(run_id: str, step_index: int, prompt: str, completion: Completion) -> None:
    """The backend returned a completion."""


@hookspec
def on_step(run_id: str, step: Step) -> None:
    """A step completed (its observation is known)."""


@hookspec
def on_tool_error(run_id: str, step_index: int, tool: str, error_kind: str, message: str) -> None:
    """A tool call failed; the failure became an observation for the model."""


@hookspec
def on_run_end(result: RunResult) -> None:
    """A run ended, with any status. ``result`` is the complete trace."""


def _event_names() -> list[str]:
    return [
        name
        for name, value in globals().items()
        if name.startswith(("on_", "before_", "after_")) and callable(value)
    ]


EVENT_HOOKS: tuple[str, ...] = tuple(_event_names())
PROVIDER_HOOKS: tuple[str, ...] = (
    "register_backends",
    "register_tools",
    "register_retrievers",
    "register_executors",
)

__all__ = ["EVENT_HOOKS", "PROVIDER_HOOKS", "hookimpl", "hookspec"]
