"""An agent described as data: what a server, a batch job or a config file builds agents from.

The command line builds each agent from its flags; an application that builds agents for other
people (``agentcore serve``, an eval on a cluster) gets the same description as TOML or JSON —
kind, prompt, tools, backend and model, generation settings, limits — and must refuse a wrong
one before any model loads. :class:`AgentSpec` is that description, validated by pydantic
(unknown keys are errors), and :meth:`AgentSpec.build` makes the agent. Building is what loads
the model, so a caller that needs several instances (one per worker thread: in-process
llama.cpp must not be shared between concurrent runs) calls it once per instance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator

from agentcore.approvals import ApprovalPolicy
from agentcore.defaults import DEFAULT_BACKEND
from agentcore.models import GenerationConfig, RunBudget
from agentcore.options import Options

if TYPE_CHECKING:
    from agentcore.agent import Agent
    from agentcore.plugins import AgentcorePluginManager

AgentKind = Literal["react", "tool-calling", "chat", "pal", "prompt", "rag"]
#: Options that only some kinds take: kind → the fields that belong to it.
KIND_FIELDS: dict[str, frozenset[str]] = {
    "react": frozenset(
        {"tools", "toolsets", "max_steps", "repeats", "observation_chars", "constrain"}
    ),
    "tool-calling": frozenset(
        {"tools", "toolsets", "max_steps", "repeats", "observation_chars", "constrain"}
    ),
    "chat": frozenset(
        {"tools", "toolsets", "max_steps", "repeats", "observation_chars", "constrain"}
    ),
    "pal": frozenset({"executor", "retries", "timeout_s"}),
    "prompt": frozenset(),
    "rag": frozenset({"retriever", "index", "k", "retriever_options"}),
}


class ToolsetSpec(Options):
    """Tools from elsewhere: the ``register_toolsets`` provider ``kind`` (``mcp``) connected
    to ``source`` (a command, a URL), with its ``options``."""

    kind: str
    source: str
    options: dict[str, Any] = Field(default_factory=dict)


class AgentSpec(Options):
    """One agent: which loop, on which model, with what.

    ``generation`` holds :class:`~agentcore.models.GenerationConfig` fields (the kind's own
    defaults fill the rest); ``backend_options`` are the backend's typed options (``n_ctx``,
    ``base_url``, ...), ``settings`` the tools' settings sections (``--set`` on the command
    line). A field that the kind does not take (``tools`` for PAL) is an error, not ignored.
    """

    kind: AgentKind
    description: str = ""
    backend: str = DEFAULT_BACKEND
    model: str | None = None
    backend_options: dict[str, Any] = Field(default_factory=dict)
    generation: dict[str, Any] = Field(default_factory=dict)
    prompt: str | None = None
    shots: int | None = Field(None, ge=0)
    settings: dict[str, dict[str, Any]] = Field(default_factory=dict)
    tools: list[str] | None = None
    toolsets: list[ToolsetSpec] | None = Field(
        None, description="Tools from elsewhere, added to ``tools`` (an MCP server's)."
    )
    max_steps: int | None = Field(None, ge=1, le=100)
    observation_chars: int | None = Field(
        None, ge=40, le=20_000, description="Cap on each observation put into the prompt."
    )
    repeats: Literal["exclude", "note"] | None = Field(
        None, description="A repeated action: regenerated excluding it, or answered by a note."
    )
    constrain: bool | None = Field(
        None, description="Grammar-constrained actions: always (true), never (false), or "
        "only to repair a malformed step (unset).",
    )  # fmt: skip
    budget: dict[str, Any] | None = Field(
        None, description="Per-run token and time limits (agentcore.models.RunBudget fields)."
    )
    approval: dict[str, Any] | None = Field(
        None, description="Tool calls that wait for a person (ApprovalPolicy fields)."
    )
    executor: str | None = None
    retries: int | None = Field(None, ge=0, le=10)
    timeout_s: float | None = Field(None, gt=0)
    retriever: str | None = None
    index: str | None = None
    k: int | None = Field(None, ge=1, le=100)
    retriever_options: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _fields_of_its_kind(self) -> AgentSpec:
        foreign = {
            name
            for fields in KIND_FIELDS.values()
            for name in fields
            if name in self.model_fields_set and name not in KIND_FIELDS[self.kind]
        }
        if foreign:
            takes = ", ".join(sorted(KIND_FIELDS[self.kind])) or "none of the kind options"
            raise ValueError(
                f"a {self.kind} agent does not take {', '.join(sorted(foreign))} (it takes {takes})"
            )
        GenerationConfig(**self.generation)  # a bad value fails here, before a model loads
        if self.budget is not None:
            RunBudget(**self.budget)
        if self.approval is not None:
            ApprovalPolicy(**self.approval)
        return self

    def build(self, plugin_manager: AgentcorePluginManager | None = None, **objects: Any) -> Agent:
        """The agent this spec describes (loads its model).

        ``objects`` are constructor arguments that are not data — a chat agent's shared
        ``store`` and ``session_state``, say — passed as they are.
        """
        cls = _agent_class(self.kind)
        options: dict[str, Any] = {
            "backend": self.backend,
            "model": self.model,
            "backend_options": dict(self.backend_options),
            "generation": dict(self.generation) or None,
            "prompt": self.prompt,
            "shots": self.shots,
            "settings": {section: dict(values) for section, values in self.settings.items()},
            "plugin_manager": plugin_manager,
            "budget": self.budget,
            "approval": self.approval,
        }
        for name in KIND_FIELDS[self.kind] & self.model_fields_set - {"toolsets"}:
            options[name] = getattr(self, name)
        if self.toolsets:
            options["tools"] = [*(self.tools or []), *self._toolset_tools(plugin_manager)]
        agent = cls(**options, **objects)
        agent.spec = self
        return agent

    def _toolset_tools(self, plugin_manager: AgentcorePluginManager | None) -> list[Any]:
        from agentcore.plugins import get_plugin_manager

        pm = plugin_manager or get_plugin_manager()
        tools: list[Any] = []
        for toolset in self.toolsets or []:
            tools += pm.create("toolset", toolset.kind, source=toolset.source, **toolset.options)
        return tools


def _agent_class(kind: str) -> type[Agent]:
    if kind == "react":
        from agentcore.react import ReActAgent

        return ReActAgent
    if kind == "tool-calling":
        from agentcore.tool_calling import ToolCallingAgent

        return ToolCallingAgent
    if kind == "chat":
        from agentcore.chat import ChatAgent

        return ChatAgent
    if kind == "pal":
        from agentcore.pal import PALAgent

        return PALAgent
    if kind == "rag":
        from agentcore.rag import RAGAgent

        return RAGAgent
    from agentcore.fewshot import PromptAgent

    return PromptAgent
