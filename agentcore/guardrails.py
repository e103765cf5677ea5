"""The engine's side of the guardrail hooks: calling them, combining verdicts, recording them.

One :class:`Guardrails` object per run calls ``check_input``, ``check_output``,
``check_tool_call`` and ``storage_redactor`` (see :mod:`agentcore.hookspecs`) through pluggy,
records every decision in the run's trace (``RunResult.guardrails``) and ends a refused run by
raising :class:`RunRefused`, which the run's lifecycle turns into the status ``refused``. The
loops use it at one place each: the lifecycle (:mod:`agentcore.agent`) checks every agent's
input and answer; ReAct and chat tool calls, PAL programs and RAG retrievals ask
:meth:`Guardrails.blocked` before they run.

How several guardrails' verdicts combine, for one check:

* every implementation sees the same text, in pluggy's call order (last registered first);
* a refusal wins: the first ``refuse`` in call order ends the run and gives its reason (every
  refusal is recorded). For a text check ``block`` means the same as ``refuse``;
* otherwise the first ``rewrite`` in call order is applied and the check runs again on the new
  text, so rewrites chain and the text that goes on has passed every guardrail. A guardrail
  must therefore pass text it produced itself; after :data:`MAX_ROUNDS` rounds that still
  rewrite, the run is refused rather than loop;
* a pass with a reason is a flag: recorded, nothing changes;
* a guardrail that raises (or returns something that is not a Verdict) fails closed: it is a
  safety check, so the run is refused and the reason names the plugin and the error.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from agentcore.errors import RunCancelled
from agentcore.models import (
    Completion,
    GenerationConfig,
    GuardrailEvent,
    RunResult,
    ToolResult,
    Verdict,
)

if TYPE_CHECKING:
    from agentcore.backends import LLMBackend
    from agentcore.plugins import AgentcorePluginManager

Redactor = Callable[[str], str]
"""Returns its argument with what must not be stored replaced (``storage_redactor`` hook)."""

ModelCall = Callable[[int, str, GenerationConfig, "str | None"], Completion]

Check = Literal["input", "output", "tool_call"]

MAX_ROUNDS = 4
REDACTION_FAILED = "[redaction failed]"
#: Fields that identify records; redactors never see them (a run id can look like a number).
IDENTIFIERS = frozenset({"run_id", "prompt_sha256"})


class RunRefused(Exception):
    """A guardrail refused: the run ends with status ``refused`` and this message as its error."""


@dataclass
class RunContext:
    """What a guardrail knows of the run it checks: the ``run`` argument of the guardrail hooks.

    ``input`` is the task as given; ``settings`` the run's settings (``--set section.key=value``
    on the command line, ``settings=`` in Python), where a guardrail plugin reads whether it is
    switched on; ``result`` the run's record so far (read it: the engine applies the verdicts);
    ``state`` scratch space shared by the run's guardrails; ``step_index`` the step the checked
    text or call belongs to (0 for the input).
    """

    run_id: str
    agent: str
    input: str
    settings: Mapping[str, Any]
    backend: LLMBackend
    result: RunResult
    model_call: ModelCall = field(repr=False)
    state: dict[str, Any] = field(default_factory=dict)
    step_index: int = 0

    def setting(self, section: str, key: str, default: Any = None) -> Any:
        value = self.settings.get(section, {})
        return value.get(key, default) if isinstance(value, Mapping) else default

    def generate(
        self, prompt: str, config: GenerationConfig, *, grammar: str | None = None
    ) -> Completion:
        """Ask the run's own backend (for guardrails that consult the model).

        The call goes through the agent like the loop's own: the LLM events fire (so the run
        store keeps the prompt and completion), cancellation is honoured, and its tokens count
        in the run's usage. It is not streamed to the user.
        """
        completion = self.model_call(self.step_index, prompt, config, grammar)
        self.result.usage = self.result.usage + completion.usage
        return completion


class Guardrails:
    """The guardrail hooks of one run."""

    def __init__(self, pm: AgentcorePluginManager, context: RunContext) -> None:
        self.pm = pm
        self.context = context
        self.refusal: str | None = None
        self._redactors = self._collect_redactors()

    # -- text checks -------------------------------------------------------------------------

    def check_input(self) -> None:
        """Check the run's input; a rewrite replaces ``result.input``. Raises RunRefused."""
        run = self.context.result
        self.context.step_index = 0
        run.input = self._check_text("input", run.input)

    def check_output(self) -> None:
        """Check the run's answer, if it has one; a rewrite replaces it. Raises RunRefused."""
        run = self.context.result
        if run.answer is None:
            return
        self.context.step_index = run.steps[-1].index if run.steps else 0
        try:
            run.answer = self._check_text("output", run.answer, steps=list(run.steps))
        except RunRefused:
            run.answer = None
            raise

    def _check_text(self, check: Check, text: str, **extra: Any) -> str:
        argument = "text" if check == "input" else "answer"
        flagged: set[tuple[str, str]] = set()
        for _ in range(MAX_ROUNDS):
            verdicts = self._call(f"check_{check}", **{argument: text}, **extra)
            for verdict in verdicts:
                flag = (verdict.by, verdict.reason)
                if verdict.action == "pass" and verdict.reason and flag not in flagged:
                    flagged.add(flag)
                    self._record(check, verdict)
            refusals = [v for v in verdicts if v.action in ("refuse", "block")]
            if refusals:
                for verdict in refusals:
                    self._record(check, verdict, original=text if check == "output" else None)
                raise RunRefused(_refusal_message(check, refusals[0]))
            rewrite = next((v for v in verdicts if v.action == "rewrite" and v.text != text), None)
            if rewrite is None:
                return text
            self._record(check, rewrite, original=text)
            text = rewrite.text or ""
        reason = f"the {check} guardrails were still rewriting after {MAX_ROUNDS} rounds"
        self._record(check, Verdict.refuse(reason, by="agentcore"))
        raise RunRefused(f"refused ({check} check): {reason}")

    # -- tool calls --------------------------------------------------------------------------

    def blocked(
        self, tool: str, arguments: Mapping[str, Any], step_index: int
    ) -> ToolResult | None:
        """``None`` when the call may run; else the result of the blocked call, for the model.

        A refusal also blocks the call and marks the run refused: the lifecycle ends it once
        the step is recorded (:meth:`raise_if_refused`).
        """
        self.context.step_index = step_index
        verdicts = self._call("check_tool_call", tool=tool, arguments=dict(arguments))
        stops: list[Verdict] = []
        for verdict in verdicts:
            if verdict.action == "rewrite":
                verdict = Verdict.block(
                    "a tool-call check returned 'rewrite', which tool calls do not take; "
                    "failing closed",
                    by=verdict.by,
                )
            if verdict.action != "pass" or verdict.reason:
                self._record("tool_call", verdict, tool=tool, step_index=step_index)
            if verdict.action in ("block", "refuse"):
                stops.append(verdict)
        if not stops:
            return None
        refusal = next((v for v in stops if v.action == "refuse"), None)
        decided = refusal or stops[0]
        if refusal is not None and self.refusal is None:
            self.refusal = _refusal_message("tool_call", refusal)
        who = f" ({decided.by})" if decided.by else ""
        return ToolResult(
            tool=tool,
            ok=False,
            observation=f"The call to {tool} was blocked by a guardrail{who}: {decided.reason}",
            error_kind="blocked",
        )

    def raise_if_refused(self) -> None:
        """End the run now if a tool-call check refused during the last step."""
        if self.refusal is not None:
            raise RunRefused(self.refusal)

    # -- what is stored ----------------------------------------------------------------------

    def redact(self, payload: dict[str, Any]) -> dict[str, Any]:
        """An event's arguments with every string passed through the run's redactors."""
        if not self._redactors:
            return payload
        return {
            key: value if key in IDENTIFIERS else _map_strings(value, self._redact_text)
            for key, value in payload.items()
        }

    def _redact_text(self, text: str) -> str:
        for redactor in self._redactors:
            try:
                text = redactor(text)
            except Exception:
                return REDACTION_FAILED
            if not isinstance(text, str):
                return REDACTION_FAILED
        return text

    def _collect_redactors(self) -> list[Redactor]:
        caller = self.pm.hook.storage_redactor
        try:
            results = caller(run=self.context)
        except Exception as exc:
            self.context.result.notes.append(
                f"storage_redactor of {self._culprit(caller, exc)} raised "
                f"{type(exc).__name__}: {exc}; every stored text of this run is withheld"
            )
            return [_withhold]
        if not all(callable(r) for r in results):
            self.context.result.notes.append(
                "a storage_redactor hook returned something that is not a function; every "
                "stored text of this run is withheld"
            )
            return [_withhold]
        return list(results)

    # -- calling the hooks -------------------------------------------------------------------

    def _call(self, hook: str, **kwargs: Any) -> list[Verdict]:
        caller = getattr(self.pm.hook, hook)
        try:
            results = caller(run=self.context, **kwargs)
        except Exception as exc:
            if isinstance(exc, RunCancelled):
                raise
            reason = (
                f"the check raised {type(exc).__name__}: {exc} (a failing guardrail fails closed)"
            )
            return [Verdict.refuse(reason, by=self._culprit(caller, exc))]
        names = self._names_in_call_order(caller, len(results))
        verdicts = []
        for result, name in zip(results, names, strict=True):
            if not isinstance(result, Verdict):
                reason = (
                    f"{hook} returned {type(result).__name__}, not a Verdict "
                    "(a guardrail that cannot be read fails closed)"
                )
                verdicts.append(Verdict.refuse(reason, by=name))
            else:
                verdicts.append(
                    result if result.by or not name else result.model_copy(update={"by": name})
                )
        return verdicts

    def _names_in_call_order(self, caller: Any, count: int) -> list[str]:
        """The plugin behind each result, when every implementation returned one.

        pluggy drops ``None`` results, so names line up only when none did; otherwise a
        verdict is named by its own ``by`` alone.
        """
        impls = [
            impl
            for impl in reversed(caller.get_hookimpls())
            if not (impl.hookwrapper or getattr(impl, "wrapper", False))
        ]
        if len(impls) != count:
            return [""] * count
        return [self.pm.pm.get_name(impl.plugin) or "" for impl in impls]

    def _culprit(self, caller: Any, exc: BaseException) -> str:
        """The plugin whose hook implementation raised ``exc`` (found in its traceback)."""
        codes = {
            getattr(impl.function, "__code__", None): self.pm.pm.get_name(impl.plugin)
            for impl in caller.get_hookimpls()
        }
        name = None
        for frame, _ in traceback.walk_tb(exc.__traceback__):
            name = codes.get(frame.f_code, name)
        return name or "an unidentified plugin"

    def _record(
        self,
        check: Check,
        verdict: Verdict,
        *,
        original: str | None = None,
        tool: str | None = None,
        step_index: int | None = None,
    ) -> None:
        self.context.result.guardrails.append(
            GuardrailEvent(
                check=check,
                action=verdict.action,
                by=verdict.by,
                reason=verdict.reason,
                step_index=self.context.step_index if step_index is None else step_index,
                tool=tool,
                original=original,
            )
        )


def _refusal_message(check: Check, verdict: Verdict) -> str:
    who = f"refused by {verdict.by}" if verdict.by else "refused by a guardrail"
    return f"{who} ({check.replace('_', ' ')} check): {verdict.reason}"


def _withhold(text: str) -> str:
    return REDACTION_FAILED if text else text


def _map_strings(value: Any, fn: Callable[[str], str]) -> Any:
    """``value`` with ``fn`` applied to every string inside it (records are copied, not changed)."""
    if isinstance(value, Enum):  # statuses and kinds are str enums: keep them as they are
        return value
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, BaseModel):
        updates = {
            name: _map_strings(getattr(value, name), fn)
            for name in type(value).model_fields
            if name not in IDENTIFIERS
        }
        return value.model_copy(update=updates)
    if isinstance(value, dict):
        return {key: _map_strings(item, fn) for key, item in value.items()}
    if isinstance(value, list):
        return [_map_strings(item, fn) for item in value]
    if isinstance(value, tuple):
        items = [_map_strings(item, fn) for item in value]
        return value._make(items) if hasattr(value, "_make") else tuple(items)
    return value
