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
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click

    from agentcore.guardrails import Redactor, RunContext
    from agentcore.models import Completion, GenerationConfig, RunInfo, RunResult, Step, Verdict

PROJECT_NAME = "agentcore"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


# --- providers ---------------------------------------------------------------------------


@hookspec
def register_backends(register: Callable[..., None]) -> None:
    """Provide LLM backends.

    Call ``register(name, factory, description="...", options=Model)`` once per backend.
    ``factory(**options)`` returns an :class:`agentcore.backends.LLMBackend`;
    options come from the CLI (``--model``, ``-o key=value``) or the API. ``Model`` (a
    subclass of :class:`agentcore.plugin.Options`) declares them: they are validated and
    coerced by it before the factory runs, and ``agentcore plugins --options`` lists them.
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

    Call ``register(name, factory, description="...", options=Model)``;
    ``factory(**options)`` returns an :class:`agentcore.retrievers.Retriever`. ``Model``
    declares the options as for backends (``-R key=value`` on the CLI).
    """


@hookspec
def register_executors(register: Callable[..., None]) -> None:
    """Provide code executors that run model-written programs (PAL).

    Call ``register(name, factory, description="...", options=Model)``;
    ``factory(**options)`` returns an :class:`agentcore.executors.CodeExecutor`, ``Model``
    declaring the options as for backends. Executors must run code outside the engine's
    process.
    """


@hookspec
def register_settings(register: Callable[..., None]) -> None:
    """Declare the settings sections a plugin's tools or guardrails read.

    Fires once per plugin manager, when the provider registry is first built. Call
    ``register(section, Model, description="...")`` with a subclass of
    :class:`agentcore.plugin.Options`; the code reading the section calls
    :func:`agentcore.plugin.read_settings_section` with the same model. The CLI validates
    ``--set section.key=value`` with it before the agent (and its model) is built, refuses
    a section nobody declares, and ``agentcore plugins --options`` lists the keys.
    """


@hookspec
def register_stores(register: Callable[..., None]) -> None:
    """Provide conversation stores: where a chat agent keeps its sessions between runs.

    Fires once per plugin manager, when the provider registry is first built (the first
    lookup of any provider). Implemented by storage plugins (the store plugin registers
    ``duckdb``). Call ``register(name, factory, description="...")``; ``factory(path)`` returns
    an :class:`agentcore.memory.ConversationStore`. ``agentcore chat --store FILE.NAME`` uses
    the store registered as ``NAME`` (``--store chats.duckdb``); a plain directory keeps JSON
    files (the core's own store).
    """


@hookspec
def register_run_stores(register: Callable[..., None]) -> None:
    """Provide run stores: where served runs, their feedback and conversations are kept.

    Fires once per plugin manager, when the provider registry is first built. Implemented by
    storage plugins: the store plugin registers ``duckdb`` (``factory(path=...)``, one file
    for one process), the postgres plugin ``postgresql`` (``factory(url=...)``, one database
    for many server replicas). The factory returns an :class:`agentcore.plugin.RunStore` with
    its schema ready; :class:`agentcore.plugin.SqlRunStore` is the SQL a backend can reuse.
    :func:`agentcore.plugin.open_run_store` picks the provider from a location: a path's
    suffix (``runs.duckdb``) or a URL's scheme (``postgresql://...``); ``agentcore serve``
    reads ``[server] store`` that way.
    """


@hookspec
def register_metrics(register: Callable[..., None]) -> None:
    """Provide metrics that score answers against references (``agentcore eval --metric``).

    Fires once per plugin manager, when the provider registry is first built. Call
    ``register(name, factory, description="...")``; ``factory()`` returns an
    :class:`agentcore.plugin.Metric`. The core registers ``em``, ``f1`` and ``accuracy``; the
    eval plugin ``rouge`` and ``bleu``. A dataset names its metric; a user's JSONL takes any.
    """


@hookspec
def register_toolsets(register: Callable[..., None]) -> None:
    """Provide tools that come from elsewhere, many at once (an MCP server's).

    Fires once per plugin manager, when the provider registry is first built. Call
    ``register(name, factory, description="...")``; ``factory(source=..., **options)`` connects
    to what ``source`` names (``agentcore run react --mcp "python server.py"`` passes it) and
    returns a list of :class:`agentcore.plugin.Tool`. The MCP plugin registers ``mcp``.
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add subcommands to the ``agentcore`` command line by calling ``cli.add_command``.

    Fires the first time the CLI is asked for a command name that no ``agentcore.commands``
    entry point declares, and for ``agentcore --help-all``; implementing it means the plugin
    is imported then. Prefer declaring each command as an entry point in the
    ``agentcore.commands`` group (``name = "module:click_command"``), which ``agentcore --help``
    lists without importing the plugin; agentcore's own and the built-in plugins' commands are
    declared that way. Implemented by third-party plugins that build their commands in code.
    """


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


@hookspec
def on_feedback(run_id: str, rating: str, note: str | None, source: str) -> None:
    """A person rated a run's answer: ``rating`` is ``good`` or ``bad``, ``note`` says why.

    Fires when an application records feedback — ``agentcore serve``'s
    ``POST /v1/runs/{id}/feedback`` (``source`` names the API key, ``api:KEY_ID``) — after
    the run ended. Implemented by storage plugins (the store plugin keeps it beside the run,
    where ``agentcore export`` finds it).
    """


@hookspec
def on_eval_result(eval_id: str, dataset: str, metric: str, result: dict[str, Any]) -> None:
    """An eval scored one item: ``result`` is its line of the results file (``id``, ``input``,
    ``reference``, ``answer``, ``status``, ``scores``, ``failure``, ``steps``, token counts,
    ``wall_s``, and ``run_id``, the run that answered it).

    Fires in the process running ``agentcore eval`` — the one that writes the results file —
    once per item when its line is written (items a Dask worker ran included; an item resumed
    from the file does not fire again). ``eval_id`` names one results file. Implemented by
    storage plugins: the store plugin keeps the results beside the runs they link to.
    """


# --- guardrails ---------------------------------------------------------------------------
#
# Called by the engine through pluggy, in pluggy's order (the plugin registered last first;
# ``tryfirst``/``trylast`` move an implementation). Every implementation sees the same
# arguments and returns a :class:`~agentcore.models.Verdict` or ``None`` (pass). How the
# verdicts combine (agentcore/guardrails.py): a refusal wins over everything — the first one in
# call order gives the run's status ``refused`` and its reason; otherwise the first rewrite in
# call order is applied and the check runs again on the new text, so rewrites chain and what
# goes on has passed every guardrail (a guardrail must pass text it produced itself). A guardrail
# that raises fails closed: the run is refused and the error, with the plugin's name, is the
# reason. Every decision but a silent pass is recorded in ``RunResult.guardrails``; a verdict's
# ``by`` names the guardrail there. ``run`` is an :class:`agentcore.guardrails.RunContext`: the
# run's id, agent kind, settings, record so far, and its backend (``run.generate``) for
# guardrails that ask the model.


@hookspec
def check_input(run: RunContext, text: str) -> Verdict | None:
    """Check the task (a chat message) before the agent starts on it.

    Fires once per run, after ``on_run_start`` and before the first model call. Implemented by
    input filters (the guardrails plugin's prompt-injection check). ``rewrite`` replaces the
    task the agent works on; ``refuse`` (or ``block``) ends the run before any model call.
    """


@hookspec
def check_output(run: RunContext, answer: str, steps: list[Step]) -> Verdict | None:
    """Check the answer (a chat reply) before the run returns it.

    Fires once per run that produced an answer (status ``finished`` or ``max_steps``), after
    its last step. Implemented by output checks (the guardrails plugin's constitution, which
    critiques and revises the draft with the run's own model). ``rewrite`` replaces the answer
    (the draft stays in the trace); ``refuse`` ends the run with no answer.
    """


@hookspec
def check_tool_call(run: RunContext, tool: str, arguments: dict[str, Any]) -> Verdict | None:
    """Check a tool call (a PAL program, a RAG retrieval) before it runs.

    Fires for every call the model asks for, after its arguments are parsed and before the tool
    runs (a ReAct action repeated verbatim is answered from its first observation, not called
    or checked again). Implemented by tool policies. ``block`` stops this call: it does not
    run, and the model's observation says it was blocked and why (the step records it,
    ``error_kind`` ``blocked``). ``refuse`` also blocks it and then ends the run as
    ``refused``. ``rewrite`` is not a tool-call verdict and fails closed (blocks the call).
    PAL programs arrive as ``tool`` = the executor's name with ``{"code": program}``; RAG
    retrieval as ``retrieve`` with ``{"query", "k", "retriever"}``.
    """


@hookspec
def storage_redactor(run: RunContext) -> Redactor | None:
    """A function that hides sensitive text in what is stored (run store, trace files).

    Fires once per run, before ``on_run_start``. Implemented by redactors (the guardrails
    plugin's PII redactor). Every redactor returned is applied, in call order, to every string
    the engine hands to the event hooks (``on_run_start`` … ``on_run_end``), which is what
    storage and tracing plugins record; the run's result, its stream and the live display keep
    the original text. A redactor that raises withholds the text (``[redaction failed]``).
    """


GUARDRAIL_HOOKS: tuple[str, ...] = (
    "check_input",
    "check_output",
    "check_tool_call",
    "storage_redactor",
)

__all__ = ["GUARDRAIL_HOOKS", "hookimpl", "hookspec"]
