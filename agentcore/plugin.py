"""The public API for plugin authors: everything a plugin imports from the core.

A plugin imports from here and from :mod:`agentcore.models` (the pydantic records a run is
made of) and nothing else of agentcore; the import-linter contracts in ``pyproject.toml``
(``make lint``) hold the built-in plugins to that, so what is listed here is what the core
promises to keep stable. Names load on first use: ``from agentcore.plugin import hookimpl``
costs pluggy, not pydantic or any provider's library.

The map, by what a plugin does:

Declare hooks
    :data:`hookimpl` marks a function as a hook implementation (the hooks are in
    ``agentcore.hookspecs`` and the README's hook table).

Provide a backend (``register_backends``)
    subclass :class:`LLMBackend` (``complete`` is required; ``count_tokens``,
    ``special_tokens``, ``close`` as the model allows); :data:`TokenCallback` is what
    ``on_token`` is; :func:`ensure_room` refuses a prompt that cannot fit the context window;
    :class:`StopScanner` applies stop sequences to streamed text; catch :class:`RunCancelled`
    from the token callback and report ``finish_reason="cancelled"``. A backend for a chat API
    sets ``accepts_turns`` and sends ``complete(..., turns=)`` (a
    :class:`~agentcore.models.PromptTurns`) as messages, reading the reply back with
    :func:`reply_after_lead`. Native tool calls (``supports_tools``, for the ``tool-calling``
    agent): the default :meth:`LLMBackend.complete_tools` continues
    :meth:`LLMBackend.render_tools` (override it with the model's own template, given
    :func:`template_messages` and :func:`function_tool`); a server backend overrides
    ``complete_tools`` and returns the calls it reads (:func:`tool_call`, :func:`reply_text`).
    Local models come from
    the model registry: :data:`KNOWN_MODELS`, :class:`KnownModel`, :func:`default_model`,
    :data:`FAST_MODEL`, :func:`resolve_model`, :func:`stderr_progress`, :func:`cache_dir`.

Provide a code executor (``register_executors``)
    subclass :class:`CodeExecutor`; :data:`DEFAULT_EXECUTOR_TIMEOUT_S` is the one default
    time limit of a model-written program.

Provide a retriever (``register_retrievers``)
    subclass :class:`Retriever`. To use a provider another plugin registered (a retriever by
    name, say), call :func:`create_provider` rather than importing that plugin.

Provide a conversation store (``register_stores``)
    a factory returning a :class:`ConversationStore` (``load``/``save`` of
    :class:`Conversation` records).

Provide a tool (``register_tools``)
    decorate a function with :func:`tool` (or build a :class:`Tool`); it may take a
    :class:`ToolContext` for the run's settings and scratch state, and return a string or a
    :class:`ToolResult`. :func:`read_settings_section` reads its ``--set section.key=...``
    section as an :class:`Options` model.

Declare options (every provider and settings section)
    subclass :class:`Options` (pydantic, unknown keys refused); the engine validates ``-o``
    and ``--set`` values against it before the factory runs. :func:`validate_options` and
    :func:`format_validation_error` give any other pydantic check the same one-line error.

Check a run (guardrail hooks)
    the hooks receive a :class:`RunContext` and return a :class:`Verdict`;
    ``storage_redactor`` returns a :data:`Redactor`. A guardrail that prompts a model uses
    :func:`load_prompt`, :class:`PromptTemplate` and :func:`fit_prompt`, and makes untrusted
    text inert with :class:`PromptGuard` and :class:`Markers`.

Provide a run store (``register_run_stores``)
    a factory returning a :class:`RunStore` (served runs as :class:`StoredRun`, with
    :class:`StoredFeedback` and :class:`StoredConversation`; :class:`RunQuery` selects a
    page); subclass :class:`SqlRunStore` to reuse its SQL with your driver's connection.
    :func:`open_run_store` opens the one a path or URL names.

Provide a metric (``register_metrics``)
    a factory returning a :class:`Metric`: :meth:`Metric.item` scores one answer,
    :meth:`Metric.corpus` the set (the mean unless overridden).

Add a command (``register_commands``)
    print untrusted text (model output, documents, table cells) through
    :func:`for_terminal` / :func:`json_for_terminal`.

Run agents for others (a server, a batch job)
    describe each agent as an :class:`AgentSpec` (validated data: kind, prompt, tools, model,
    generation, limits) and call its ``build()`` once per instance needed; tell the other
    plugins what happened outside a run (``on_feedback``) with
    ``get_plugin_manager().emit(...)``.

Fail clearly
    raise :class:`ConfigError` (bad setting or option), :class:`BackendError` (model missing,
    server down), :class:`UnsupportedSettingError`, :class:`NotFoundError`,
    :class:`PromptTooLongError`, :class:`ModelIntegrityError`, all :class:`AgentcoreError`:
    the CLI prints their message as one line. Secrets a plugin holds are passed to
    :func:`register_secret`; :func:`redact` / :func:`redact_data` remove them from text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, overload

from agentcore.hookspecs import hookimpl
from agentcore.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from agentcore.approvals import decide
    from agentcore.backends import LLMBackend, TokenCallback, ensure_room
    from agentcore.checkpoints import CheckpointError, agent_for_run, open_checkpoints
    from agentcore.errors import (
        AgentcoreError,
        BackendError,
        ConfigError,
        ModelIntegrityError,
        NotFoundError,
        PromptTooLongError,
        RunCancelled,
        UnsupportedSettingError,
        redact,
        redact_data,
        register_secret,
    )
    from agentcore.executors import DEFAULT_TIMEOUT_S as DEFAULT_EXECUTOR_TIMEOUT_S
    from agentcore.executors import CodeExecutor
    from agentcore.guardrails import Redactor, RunContext
    from agentcore.memory import Conversation, ConversationStore, InMemoryStore
    from agentcore.metrics import Metric
    from agentcore.model_registry import (
        FAST_MODEL,
        KNOWN_MODELS,
        KnownModel,
        cache_dir,
        default_model,
        resolve_model,
        stderr_progress,
    )
    from agentcore.models import ToolResult, Verdict
    from agentcore.options import (
        Options,
        PathText,
        format_validation_error,
        parse_key_values,
        read_settings_section,
        validate_options,
    )
    from agentcore.plugins import get_plugin_manager
    from agentcore.prompts import PromptTemplate, fit_prompt, load_prompt
    from agentcore.retrievers import Retriever
    from agentcore.run_store import (
        RunQuery,
        RunStore,
        SqlRunStore,
        StoredConversation,
        StoredFeedback,
        StoredRun,
        open_run_store,
    )
    from agentcore.scoring import normalize_answer
    from agentcore.specs import AgentSpec
    from agentcore.stops import StopScanner
    from agentcore.tool_calls import function_tool, reply_text, template_messages, tool_call
    from agentcore.tools import Tool, ToolContext, tool
    from agentcore.turns import reply_after_lead
    from agentcore.untrusted import Markers, PromptGuard, for_terminal, json_for_terminal

_EXPORTS: dict[str, str] = {
    # backends
    "LLMBackend": "agentcore.backends",
    "TokenCallback": "agentcore.backends",
    "ensure_room": "agentcore.backends",
    "StopScanner": "agentcore.stops",
    "reply_after_lead": "agentcore.turns",
    # native tool calls (complete_tools)
    "function_tool": "agentcore.tool_calls",
    "template_messages": "agentcore.tool_calls",
    "tool_call": "agentcore.tool_calls",
    "reply_text": "agentcore.tool_calls",
    # the model registry
    "KNOWN_MODELS": "agentcore.model_registry",
    "KnownModel": "agentcore.model_registry",
    "FAST_MODEL": "agentcore.model_registry",
    "default_model": "agentcore.model_registry",
    "resolve_model": "agentcore.model_registry",
    "stderr_progress": "agentcore.model_registry",
    "cache_dir": "agentcore.model_registry",
    # executors and retrievers
    "CodeExecutor": "agentcore.executors",
    "DEFAULT_EXECUTOR_TIMEOUT_S": "agentcore.executors:DEFAULT_TIMEOUT_S",
    "Retriever": "agentcore.retrievers",
    # tools
    "Tool": "agentcore.tools",
    "tool": "agentcore.tools",
    "ToolContext": "agentcore.tools",
    "ToolResult": "agentcore.models",
    "read_settings_section": "agentcore.options",
    # typed options of providers and settings sections
    "Options": "agentcore.options",
    "PathText": "agentcore.options",
    "validate_options": "agentcore.options",
    "parse_key_values": "agentcore.options",
    "format_validation_error": "agentcore.options",
    # guardrails and prompts
    "RunContext": "agentcore.guardrails",
    "Redactor": "agentcore.guardrails",
    "Verdict": "agentcore.models",
    "load_prompt": "agentcore.prompts",
    "PromptTemplate": "agentcore.prompts",
    "fit_prompt": "agentcore.prompts",
    "PromptGuard": "agentcore.untrusted",
    "Markers": "agentcore.untrusted",
    # agents built from a description (a server, a batch job); telling the other plugins
    "AgentSpec": "agentcore.specs",
    "get_plugin_manager": "agentcore.plugins",
    # stores and commands
    "Conversation": "agentcore.memory",
    "ConversationStore": "agentcore.memory",
    "InMemoryStore": "agentcore.memory",
    "RunStore": "agentcore.run_store",
    "SqlRunStore": "agentcore.run_store",
    "StoredRun": "agentcore.run_store",
    "StoredFeedback": "agentcore.run_store",
    "StoredConversation": "agentcore.run_store",
    "RunQuery": "agentcore.run_store",
    "open_run_store": "agentcore.run_store",
    # durable runs: what `agentcore runs resume|approve|reject` continue a stored run with
    "open_checkpoints": "agentcore.checkpoints",
    "agent_for_run": "agentcore.checkpoints",
    "CheckpointError": "agentcore.checkpoints",
    "decide": "agentcore.approvals",
    "Metric": "agentcore.metrics",
    "normalize_answer": "agentcore.scoring",
    "for_terminal": "agentcore.untrusted",
    "json_for_terminal": "agentcore.untrusted",
    # errors and secrets
    "AgentcoreError": "agentcore.errors",
    "ConfigError": "agentcore.errors",
    "BackendError": "agentcore.errors",
    "UnsupportedSettingError": "agentcore.errors",
    "NotFoundError": "agentcore.errors",
    "PromptTooLongError": "agentcore.errors",
    "ModelIntegrityError": "agentcore.errors",
    "RunCancelled": "agentcore.errors",
    "register_secret": "agentcore.errors",
    "redact": "agentcore.errors",
    "redact_data": "agentcore.errors",
}

__all__ = sorted(["hookimpl", "create_provider", *_EXPORTS])

__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS, __all__)


@overload
def create_provider(kind: Literal["backend"], name: str, **options: Any) -> LLMBackend: ...
@overload
def create_provider(kind: Literal["executor"], name: str, **options: Any) -> CodeExecutor: ...
@overload
def create_provider(kind: Literal["retriever"], name: str, **options: Any) -> Retriever: ...
@overload
def create_provider(kind: Literal["store"], name: str, **options: Any) -> ConversationStore: ...
@overload
def create_provider(kind: Literal["run_store"], name: str, **options: Any) -> RunStore: ...
@overload
def create_provider(kind: Literal["metric"], name: str, **options: Any) -> Metric: ...
def create_provider(kind: str, name: str, **options: Any) -> Any:
    """Build the backend, executor, retriever or store that some plugin registered as ``name``.

    The one door from a plugin to the engine's registry: a plugin that builds on another's
    provider (the ``retrieve`` tool on any retriever taking an index) asks by name instead of
    importing that plugin, so plugins stay independent and ``AGENTCORE_PLUGINS`` /
    ``AGENTCORE_DISABLE_PLUGINS`` decide which one answers. An unknown name raises
    :class:`NotFoundError` listing the available ones.
    """
    from agentcore.plugins import get_plugin_manager

    return get_plugin_manager().create(kind, name, **options)
