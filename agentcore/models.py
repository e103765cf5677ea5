"""Pydantic models for everything that crosses a boundary.

One record of a run feeds the CLI's live rendering, ``--json`` output, JSONL
traces and storage plugins; keeping the shapes here, in one place, is what lets
every view agree.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class Record(BaseModel):
    """Base of the records: schemas are built on first use, keeping ``import agentcore`` fast."""

    model_config = ConfigDict(defer_build=True)


class GenerationConfig(Record):
    """Sampling settings with one meaning for every backend.

    Semantics (each backend follows them or refuses a setting it cannot honour):

    * Decoding is **greedy** (argmax at every step) when ``greedy`` is true, or
      when ``greedy`` is left unset and ``temperature`` is 0, or when ``top_k`` is 1.
    * Otherwise tokens are **sampled**: ``top_k`` keeps the k most likely tokens
      (``None`` = no limit), then ``top_p`` keeps the smallest set of those whose
      probability mass reaches p (``1.0`` = no limit) — both judged on the model's
      own distribution — then ``temperature`` reshapes what is left, and a token
      is drawn. (This is llama.cpp's order; backends that order differently
      reorder to match.)
    * ``seed`` makes sampling repeatable: the same seed, prompt and settings on
      the same backend give the same text. Greedy decoding ignores it.
    * ``max_new_tokens`` caps generated tokens; hitting it ends the completion
      with ``finish_reason == "length"``.
    * ``stop`` sequences end generation as soon as one appears; the stop
      sequence itself is not part of the returned text.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    max_new_tokens: int = Field(256, ge=1, le=131072, description="Most tokens to generate.")
    temperature: float = Field(0.0, ge=0.0, le=10.0, description="0 means greedy.")
    top_k: int | None = Field(None, ge=1, description="Keep the k most likely tokens.")
    top_p: float = Field(1.0, gt=0.0, le=1.0, description="Nucleus mass to keep.")
    greedy: bool | None = Field(None, description="Force greedy (true) or sampling (false).")
    seed: int | None = Field(None, ge=0, le=2**32 - 1, description="Sampling seed.")
    stop: tuple[str, ...] = Field((), description="Stop sequences, not returned.")

    @field_validator("stop", mode="before")
    @classmethod
    def _stop_as_tuple(cls, value: Any) -> Any:
        if isinstance(value, str):
            return (value,)
        return value

    @field_validator("stop")
    @classmethod
    def _no_empty_stop(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(s == "" for s in value):
            raise ValueError("stop sequences must be non-empty strings")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> GenerationConfig:
        if self.greedy is False and self.temperature == 0.0:
            raise ValueError(
                "greedy=False asks for sampling but temperature=0 means greedy; "
                "set a temperature above 0 (e.g. 0.7) or drop greedy=False"
            )
        return self

    @property
    def is_greedy(self) -> bool:
        """Whether these settings mean argmax decoding."""
        if self.greedy is not None:
            return self.greedy
        return self.temperature == 0.0 or self.top_k == 1

    def with_stop(self, *extra: str) -> GenerationConfig:
        """These settings plus more stop sequences (duplicates dropped, order kept)."""
        merged = tuple(dict.fromkeys((*self.stop, *extra)))
        return self.model_copy(update={"stop": merged})


Role = Literal["system", "user", "assistant", "tool"]


class ToolCall(Record):
    """A tool call a model made natively (not written as ReAct text).

    ``arguments`` is ``None`` when what the model wrote is not a JSON object; ``arguments_text``
    keeps what it wrote either way, and ``error`` says what was wrong with it.
    """

    id: str = ""
    name: str
    arguments: dict[str, Any] | None = None
    arguments_text: str = ""
    error: str | None = None


class Message(Record):
    """One chat message; an assistant's may carry native ``tool_calls``, and a ``tool``
    message answers the call ``tool_call_id``."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    role: Role
    content: str
    name: str | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None


class PromptTurns(Record):
    """A prompt as chat turns, for backends that talk to a chat API.

    The loops write one text transcript; for a chat model the same transcript goes as
    messages: the instructions and exemplars as the system message, the task as the user's,
    each step the model wrote as the assistant's and each observation the engine wrote as the
    user's. ``lead`` is the text the engine puts before the model's next words
    (``Thought 2:``, ``Answer:``): a chat model writes it itself, and the backend takes it off
    the reply, so the loop parses the same text either way.
    """

    messages: list[Message]
    lead: str = ""


class Usage(Record):
    """Token counts of one or more LLM calls.

    ``prompt_tokens_evaluated`` is how many prompt tokens the backend actually
    had to run through the model; with KV-prefix reuse it is far below
    ``prompt_tokens``.
    """

    prompt_tokens: int = 0
    prompt_tokens_evaluated: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            prompt_tokens_evaluated=self.prompt_tokens_evaluated + other.prompt_tokens_evaluated,
            completion_tokens=self.completion_tokens + other.completion_tokens,
        )


class Timings(Record):
    """Seconds spent in one LLM call, split where the backend can tell."""

    total_s: float = 0.0
    prompt_s: float | None = None
    generation_s: float | None = None


FinishReason = Literal["stop", "length", "cancelled", "error"]


class Completion(Record):
    """What a backend returns for one generation call."""

    text: str
    finish_reason: FinishReason = "stop"
    stop_sequence: str | None = None
    usage: Usage = Field(default_factory=Usage)
    timings: Timings = Field(default_factory=Timings)
    model: str = ""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    """The native tool calls of a :meth:`~agentcore.backends.LLMBackend.complete_tools`
    reply, in order; ``text`` is then what the model wrote (its words and the calls as it
    wrote them, or as the server reported them)."""


ToolEffect = Literal["idempotent", "keyed", "side_effect"]
"""What redoing a tool call does, for a resumed run whose call's outcome was not recorded:
``idempotent`` — nothing new (a search), so it is redone; ``keyed`` — the tool passes
``ToolContext.call_key`` (the same on a redo) to a service that makes the effect once (an
idempotency key), so it is redone; ``side_effect`` — it may act twice (an email), so the
run pauses and a person decides."""


class ToolSpec(Record):
    """How a tool presents itself to a model and to validation.

    ``parameters`` is a JSON schema object. ``string_argument`` names the single
    string parameter of tools that take ``tool[free text]``; it is ``None`` for
    tools whose input is a JSON object.
    """

    name: str
    description: str
    parameters: dict[str, Any]
    string_argument: str | None = None
    timeout_s: float | None = None
    effect: ToolEffect = "idempotent"
    requires_approval: bool = False

    def usage(self) -> str:
        """The action syntax a model should write for this tool."""
        if self.string_argument is not None:
            return f"{self.name}[{self.string_argument}]"
        props = self.parameters.get("properties", {})
        example = ", ".join(f'"{key}": ...' for key in props)
        return f"{self.name}[{{{example}}}]"


class ToolRequest(Record):
    """A conversation and the tools a model may call natively in its reply.

    ``required``: the reply must be a tool call (``tool_choice: "required"`` on an API; a
    grammar in process). Otherwise the model may also answer in words only. ``exclude`` is
    only read with ``required``.
    """

    messages: list[Message]
    tools: list[ToolSpec]
    required: bool = False
    exclude: dict[str, list[str]] = Field(default_factory=dict)
    """Arguments each single-string tool may not be called with (nor extended): a repeated
    call asked for again. Only a backend with grammars can hold a model to it."""


class Action(Record):
    """A parsed action: which tool, with which arguments."""

    tool: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    raw: str = ""

    def key(self) -> str:
        """A canonical form used to detect the same action repeated."""
        import json

        return f"{self.tool.lower()}:{json.dumps(self.arguments, sort_keys=True, default=str)}"


class ToolResult(Record):
    """The outcome of one tool call, always expressible as an observation."""

    tool: str
    ok: bool
    observation: str
    error_kind: str | None = None
    duration_s: float = 0.0
    data: Any = None


class StepKind(StrEnum):
    REACT = "react"
    PROGRAM = "program"
    RETRIEVE = "retrieve"
    ANSWER = "answer"
    FINAL = "final"


class Step(Record):
    """One turn of a loop: prompt → completion → parsed action → observation."""

    index: int
    kind: StepKind = StepKind.REACT
    prompt_sha256: str = ""
    prompt_tokens: int = 0
    prompt: str | None = Field(None, description="Full prompt text when traces keep it.")
    completion: str = ""
    thought: str | None = None
    action: Action | None = None
    observation: str | None = None
    parse_error: str | None = None
    repaired_from: str | None = Field(
        None, description="A malformed completion that was regenerated under the action grammar."
    )
    repeated_from: str | None = Field(
        None,
        description="A completion repeating an action already taken, regenerated under a "
        "grammar that excludes the actions taken (ReActAgent repeats='exclude').",
    )
    reply_rejected: str | None = Field(
        None,
        description="A reply (or answer) the agent's reply checks sent back to the model; "
        "the observation says why (agentcore.reply_checks).",
    )
    tool_result: ToolResult | None = None
    sanitized: list[str] = Field(
        default_factory=list,
        description="What was made inert in the untrusted text this step put into a prompt "
        "(its observation, passages): special tokens, invisible characters, forged markers. "
        "The observation and tool result keep the original text.",
    )
    usage: Usage = Field(default_factory=Usage)
    llm_s: float = 0.0
    tool_s: float = 0.0
    finish_reason: FinishReason | None = None

    @staticmethod
    def hash_prompt(prompt: str) -> str:
        return hashlib.sha256(prompt.encode()).hexdigest()


class RunStatus(StrEnum):
    FINISHED = "finished"
    MAX_STEPS = "max_steps"
    ERROR = "error"
    CANCELLED = "cancelled"
    REFUSED = "refused"
    """A guardrail refused the input, the answer or a tool call; ``error`` says which and why."""
    PAUSED = "paused"
    """The run waits for a person: ``pending`` names the tool call to approve or reject."""
    BUDGET = "budget"
    """A token or time budget ran out (:class:`RunBudget`); ``error`` says which."""
    LOST = "lost"
    """The process running it died; a checkpointed run can be resumed from its last step."""


VerdictAction = Literal["pass", "rewrite", "refuse", "block"]


class Verdict(Record):
    """What a guardrail decides (returned by the ``check_*`` hooks; ``None`` also means pass).

    ``pass`` lets the text or call through (a ``reason`` makes it a recorded flag);
    ``rewrite`` replaces the text with ``text``; ``refuse`` ends the run with status
    ``refused``; ``block`` stops one tool call, and the model is told why. ``by`` names the
    guardrail in the trace.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    action: VerdictAction = "pass"
    text: str | None = None
    reason: str = ""
    by: str = ""

    @model_validator(mode="after")
    def _complete(self) -> Verdict:
        if self.action == "rewrite" and self.text is None:
            raise ValueError("a rewrite verdict needs the new text")
        if self.action in ("rewrite", "refuse", "block") and not self.reason.strip():
            raise ValueError(f"a {self.action} verdict needs a reason")
        return self

    @classmethod
    def allow(cls, reason: str = "", *, by: str = "") -> Verdict:
        """Let it through; with a reason, the pass is recorded (a flag)."""
        return cls(action="pass", reason=reason, by=by)

    @classmethod
    def rewrite(cls, text: str, reason: str, *, by: str = "") -> Verdict:
        return cls(action="rewrite", text=text, reason=reason, by=by)

    @classmethod
    def refuse(cls, reason: str, *, by: str = "") -> Verdict:
        return cls(action="refuse", reason=reason, by=by)

    @classmethod
    def block(cls, reason: str, *, by: str = "") -> Verdict:
        return cls(action="block", reason=reason, by=by)


class GuardrailEvent(Record):
    """One guardrail decision in a run's trace (silent passes are not recorded)."""

    check: Literal["input", "output", "tool_call"]
    action: VerdictAction
    by: str = ""
    reason: str = ""
    step_index: int | None = None
    tool: str | None = None
    original: str | None = Field(
        None, description="The text before a rewrite, or the refused answer."
    )


class PromptFit(Record):
    """How the few-shot prompt was fitted to the backend's context window."""

    prompt: str
    shots_requested: int
    shots_used: int
    prompt_tokens: int
    context_window: int
    note: str | None = None
    question_at: int = 0
    """Where the part that asks the question starts in ``prompt`` (the head comes before)."""


PendingReason = Literal["approval", "unknown_outcome"]


class PendingAction(Record):
    """A tool call the run stopped before (status ``paused``), waiting for a decision.

    ``reason`` is ``approval`` (the tool or the approval policy asks a person first) or
    ``unknown_outcome`` (the process died while a ``side_effect`` tool ran: whether it took
    effect is not known, so it is not redone without a person's word). ``step`` is the step
    as the model wrote it (thought, action); ``thought`` repeats its thought for display.
    """

    step_index: int
    tool: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    thought: str | None = None
    reason: PendingReason = "approval"
    step: Step


class Decision(Record):
    """A person's answer to a :class:`PendingAction`, kept with the run.

    ``approve`` runs the call — with ``arguments`` instead, when given (an edit);
    ``reject`` does not, and ``reason`` becomes the observation the model sees.
    """

    step_index: int
    tool: str
    verdict: Literal["approve", "reject"]
    arguments: dict[str, Any] | None = None
    reason: str | None = None
    by: str = ""
    at: float = Field(default_factory=time.time)


class RunBudget(Record):
    """Per-run limits besides the step budget; a run past one ends with status ``budget``.

    Checked after every step and before every model call: ``prompt_tokens`` counts prompt
    tokens the backend evaluated (KV-prefix reuse makes them far fewer than sent),
    ``completion_tokens`` tokens generated, ``wall_s`` seconds since the run started.
    """

    prompt_tokens: int | None = Field(None, ge=1)
    completion_tokens: int | None = Field(None, ge=1)
    wall_s: float | None = Field(None, gt=0)

    def exceeded(self, usage: Usage, elapsed_s: float) -> str | None:
        """Which limit ``usage`` and ``elapsed_s`` went past, in words; ``None`` if none."""
        if self.prompt_tokens is not None and usage.prompt_tokens_evaluated >= self.prompt_tokens:
            return (
                f"the prompt-token budget is spent: {usage.prompt_tokens_evaluated} prompt "
                f"tokens evaluated, limit {self.prompt_tokens}"
            )
        if self.completion_tokens is not None and usage.completion_tokens >= self.completion_tokens:
            return (
                f"the completion-token budget is spent: {usage.completion_tokens} tokens "
                f"generated, limit {self.completion_tokens}"
            )
        if self.wall_s is not None and elapsed_s >= self.wall_s:
            return f"the time budget is spent: {elapsed_s:.1f} s, limit {self.wall_s:g} s"
        return None


class RunResult(Record):
    """The complete record of one agent run. Always produced, whatever happened."""

    run_id: str = Field(default_factory=lambda: uuid.uuid4().hex[:12])
    agent: str
    input: str
    status: RunStatus
    answer: str | None = None
    error: str | None = None
    steps: list[Step] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    started_at: float = Field(default_factory=time.time)
    duration_s: float = 0.0
    backend: str = ""
    model: str = ""
    prompt_name: str = ""
    shots: int | None = None
    notes: list[str] = Field(default_factory=list)
    guardrails: list[GuardrailEvent] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    """Plugin failures during the run (an event hook that raised); the run went on."""
    pending: PendingAction | None = None
    """With status ``paused``: the tool call waiting for approval."""
    decisions: list[Decision] = Field(default_factory=list)
    """Approvals and rejections given during the run, and by whom."""
    resumed: int = 0
    """How many times the run was resumed (``Agent.resume``)."""


class RunInfo(Record):
    """What event hooks learn when a run starts."""

    run_id: str
    agent: str
    input: str
    backend: str
    model: str
    tools: list[str] = Field(default_factory=list)
    config: GenerationConfig
    started_at: float


class ExecutionError(Record):
    """Why a program did not produce a value. ``kind`` is machine-readable."""

    kind: Literal[
        "compile_error",
        "forbidden",
        "runtime_error",
        "timeout",
        "memory",
        "output_limit",
        "missing_entrypoint",
        "result_not_serializable",
        "crashed",
        "blocked",
    ]
    message: str


class ExecutionResult(Record):
    """What a code executor reports for one program."""

    value: Any = None
    stdout: str = ""
    error: ExecutionError | None = None
    duration_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


class Document(Record):
    """A retrievable passage with where it came from."""

    id: str
    text: str
    source: str = ""
    title: str | None = None
    score: float | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
