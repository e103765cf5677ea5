"""The ReAct loop: Thought → Action → Observation, until ``finish``.

Read top to bottom, one step is:

1. ask the model to continue the transcript after ``Thought N:``;
2. parse its thought and action (tolerantly, in :mod:`agentcore.parsing`);
3. run the tool (validated, time-limited) or explain the malformed action;
4. append exactly what the model wrote plus the observation, so the next
   prompt extends this one byte for byte and a backend with KV-prefix reuse
   evaluates only the new tokens.

The step budget is part of the instructions. When it runs out, one last call
asks for the best answer (status ``max_steps``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from agentcore.agent import Agent
from agentcore.backends import LLMBackend
from agentcore.errors import ConfigError
from agentcore.models import (
    Action,
    GenerationConfig,
    RunResult,
    RunStatus,
    Step,
    StepKind,
    ToolResult,
    ToolSpec,
)
from agentcore.parsing import FINISH, ParsedStep, parse_react_step
from agentcore.prompts import fit_prompt
from agentcore.tools import Tool, ToolContext

DEFAULT_TOOLS = ("search", "lookup")
REACT_STOPS = ("\nObservation", "\nQuestion:", "\nThought", "\nTask:")


class ReActAgent(Agent):
    """Answer by reasoning and acting with tools.

    ``tools`` are names of registered tools or :class:`~agentcore.tools.Tool`
    objects. ``max_steps`` bounds the actions; ``observation_chars`` caps each
    observation (small models copy long observations into their thoughts and
    run out of tokens).

    ``constrain`` controls grammar-constrained actions on backends that support
    grammars: ``True`` constrains every step, ``False`` never, and ``None``
    (the default) only repairs: a step whose output has no valid action is
    generated again under the grammar. Grammar sampling costs time per token,
    so it is spent only where it pays.
    """

    kind = "react"
    default_prompt = "react/wikipedia"
    default_generation = GenerationConfig(max_new_tokens=160, temperature=0.0)

    def __init__(
        self,
        backend: str | LLMBackend = "llama-cpp",
        tools: Sequence[str | Tool] = DEFAULT_TOOLS,
        *,
        max_steps: int = 7,
        observation_chars: int = 300,
        step_reserve_tokens: int = 160,
        constrain: bool | None = None,
        **options: Any,
    ) -> None:
        if max_steps < 1:
            raise ConfigError(f"max_steps must be at least 1, got {max_steps}")
        super().__init__(backend, **options)
        self.tools: dict[str, Tool] = {}
        for item in tools:
            tool_obj = item if isinstance(item, Tool) else self.pm.tool(item)
            if tool_obj.name.lower() == FINISH:
                raise ConfigError("'finish' is reserved for the final answer; rename the tool")
            self.tools[tool_obj.name] = tool_obj
        self.specs: dict[str, ToolSpec] = {name: t.spec for name, t in self.tools.items()}
        self.max_steps = max_steps
        self.observation_chars = observation_chars
        self.step_reserve_tokens = step_reserve_tokens
        self.constrain = constrain

    def tool_names(self) -> list[str]:
        return list(self.tools)

    def describe_tools(self) -> str:
        """The tool list the instructions show the model."""
        return "\n".join(f"- {spec.usage()}: {spec.description}" for spec in self.specs.values())

    def grammar(self) -> str | None:
        """A GBNF grammar allowing only well-formed actions, if the backend can use one."""
        if self.constrain is False or not self.backend.supports_grammar:
            return None
        from agentcore.grammar import react_step_grammar

        return react_step_grammar(list(self.specs.values()), numbered=self.numbered_steps)

    numbered_steps = True

    def _complete_step(
        self,
        run: RunResult,
        index: int,
        prompt: str,
        config: GenerationConfig,
        grammar: str | None,
    ) -> tuple[Step, ParsedStep]:
        """Generate and parse one step; repair a malformed one under the grammar."""
        always = grammar if self.constrain else None
        completion = self._generate(run, index, prompt, config, grammar=always)
        parsed = parse_react_step(completion.text, self.specs)
        repaired_from = None
        if parsed.action is None and grammar is not None and always is None:
            first = completion
            self._retrying(
                index, "no valid action in that output; generating it again under the grammar"
            )
            completion = self._generate(run, index, prompt, config, grammar=grammar)
            repaired = parse_react_step(completion.text, self.specs)
            if repaired.action is not None:
                parsed, repaired_from = repaired, first.text
            completion = completion.model_copy(
                update={
                    "usage": first.usage + completion.usage,
                    "timings": completion.timings.model_copy(
                        update={"total_s": first.timings.total_s + completion.timings.total_s}
                    ),
                }
            )
        step = self._new_step(
            index,
            prompt,
            completion,
            thought=parsed.thought,
            action=parsed.action,
            repaired_from=repaired_from,
        )
        return step, parsed

    # -- the loop ----------------------------------------------------------------------------

    def _loop(self, run: RunResult) -> Iterator[Step]:
        config = self.generation.with_stop(*REACT_STOPS)
        fit = fit_prompt(
            self.template,
            self._task_text(run),
            shots=self.shots,
            count_tokens=self.backend.count_tokens,
            context_window=self.backend.context_window,
            reserve_tokens=config.max_new_tokens + self.max_steps * self.step_reserve_tokens,
            tools=self.describe_tools(),
            max_steps=self.max_steps,
        )
        run.shots = fit.shots_used
        if fit.note:
            run.notes.append(fit.note)
        transcript = fit.prompt
        context = ToolContext(run_id=run.run_id, settings=self.settings)
        seen: dict[str, tuple[int, str]] = {}
        grammar = self.grammar()

        for index in range(1, self.max_steps + 1):
            prompt = transcript + self.template.extra("step_prefix", step=index)
            if not self._fits(prompt, config):
                run.notes.append(f"context window full before step {index}")
                break
            step, parsed = self._complete_step(run, index, prompt, config, grammar)
            if parsed.action is None:
                step.parse_error = parsed.error
                step.observation = parsed.error
            elif parsed.action.tool == FINISH:
                answer = str(parsed.action.arguments.get("answer", "")).strip()
                if answer:
                    run.answer, run.status = answer, RunStatus.FINISHED
                    yield step
                    return
                step.observation = "finish needs the answer inside the brackets: finish[answer]."
            else:
                step.observation, step.tool_result = self._act(
                    run, index, parsed.action, context, seen
                )
                if step.tool_result is not None:
                    step.tool_s = step.tool_result.duration_s
            observation = self._shorten(step.observation or "")
            if parsed.action is not None:
                # What a tool returned is data: on one line and cleaned, it can neither
                # become special tokens nor forge a step (agentcore.untrusted). The engine's
                # own messages (format help) are left as written.
                observation = self.guard.as_data(observation, step.sanitized)
            transcript = (
                prompt
                + parsed.consumed.rstrip()
                + self.template.extra("observation", step=index, observation=observation)
            )
            yield step

        yield from self._final_answer(run, transcript, config)

    def _act(
        self,
        run: RunResult,
        index: int,
        action: Action,
        context: ToolContext,
        seen: dict[str, tuple[int, str]],
    ) -> tuple[str, ToolResult | None]:
        key = action.key()
        if key in seen:
            earlier, observation = seen[key]
            note = self.template.extra(
                "repeated_action",
                action=action.raw or key,
                earlier=earlier,
                observation=self._shorten(observation),
            )
            return note, None
        result = self._blocked(action.tool, action.arguments, index)
        if result is None:
            result = self.tools[action.tool].invoke(action.arguments, context)
        if not result.ok:
            self._emit(
                run,
                "on_tool_error",
                run_id=run.run_id,
                step_index=index,
                tool=action.tool,
                error_kind=result.error_kind or "error",
                message=result.observation,
            )
        seen[key] = (index, result.observation)
        return result.observation, result

    def _final_answer(
        self, run: RunResult, transcript: str, config: GenerationConfig
    ) -> Iterator[Step]:
        """The budget is spent: one last call asks for the best answer."""
        index = self.max_steps + 1
        prompt = transcript + self.template.extra("final_nudge", step=index)
        final_config = config.model_copy(
            update={"stop": ("]", "\n"), "max_new_tokens": min(64, config.max_new_tokens)}
        )
        run.status = RunStatus.MAX_STEPS
        if not self._fits(prompt, final_config):
            run.error = "the context window is full; no room to ask for a final answer"
            return
        completion = self._generate(run, index, prompt, final_config)
        answer = completion.text.strip()
        run.answer = answer or None
        yield self._new_step(
            index,
            prompt,
            completion,
            kind=StepKind.FINAL,
            action=Action(tool=FINISH, arguments={"answer": answer}, raw=f"finish[{answer}]"),
        )

    def _fits(self, prompt: str, config: GenerationConfig) -> bool:
        needed = self.backend.count_tokens(prompt) + config.max_new_tokens
        return needed <= self.backend.context_window

    def _shorten(self, text: str) -> str:
        flat = " ".join(text.split())
        if len(flat) <= self.observation_chars:
            return flat
        cut = flat[: self.observation_chars].rsplit(" ", 1)[0]
        return cut + " …"
