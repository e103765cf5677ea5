"""The ReAct loop: Thought → Action → Observation, until ``finish``.

Read top to bottom, one step is:

1. ask the model to continue the transcript after ``Thought N:``;
2. parse its thought and action (tolerantly, in :mod:`agentcore.parsing`), and
   if there is no valid action, generate the step again under the action grammar;
3. run the tool (validated, time-limited) or explain the malformed action;
4. add what the model wrote and the observation to the history — for ReAct the
   transcript itself, so the next prompt extends this one byte for byte and a
   backend with KV-prefix reuse evaluates only the new tokens.

Chat (:mod:`agentcore.chat`) runs this same loop; only its history differs (a
conversation rendered through a memory strategy). The labels (``Thought``,
``Action``, ``Observation``) and stop sequences come from the prompt file.

The step budget is part of the instructions. When it runs out, one last call
asks for the best answer (status ``max_steps``).

A prompt may open every run with a step the engine takes itself (extras
``opening_action`` and ``opening_thought``): calling a single-string tool with the task,
as IRCoT retrieves with the question before reasoning. A small model then starts from
the pages its question is about instead of from its guess at their titles.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, ClassVar, Literal, Protocol

from agentcore.agent import Agent
from agentcore.backends import LLMBackend
from agentcore.defaults import DEFAULT_BACKEND
from agentcore.errors import ConfigError
from agentcore.models import (
    Action,
    Completion,
    GenerationConfig,
    Message,
    PromptFit,
    PromptTurns,
    RunStatus,
    Step,
    StepKind,
    ToolResult,
    ToolSpec,
    Usage,
)
from agentcore.parsing import FINISH, ParsedStep, StepLabels, parse_react_step
from agentcore.prompts import PromptTemplate
from agentcore.reply_checks import DEFAULT_REPLY_CHECKS, ReplyCheck, ReplyDraft
from agentcore.run import Run
from agentcore.tools import Tool
from agentcore.turns import opening_turns

DEFAULT_TOOLS = ("search", "lookup")
RepeatPolicy = Literal["exclude", "note"]


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

    ``repeats`` says what happens when the model proposes an action it already took (small
    models do, until the budget runs out): ``"exclude"`` (the default) generates the step
    again under a grammar that rules out the actions taken (and those arguments padded
    out: ``search[X (film)]`` after ``search[X]``), so the model must do something
    else; ``"note"`` runs nothing and tells the model what that action returned before (the
    only option on backends without grammars, and what the ReAct paper's loop does).
    """

    kind = "react"
    resumable = True
    default_prompt = "react/wikipedia"
    default_generation = GenerationConfig(max_new_tokens=160, temperature=0.0)
    reply_tools: ClassVar[dict[str, str]] = {FINISH: "answer"}
    """Actions that end the run, and the argument holding the answer."""
    final_tool = FINISH
    """The action the final-answer nudge completes."""
    final_answer_tokens = 96
    """Most tokens for the answer asked for when the step budget is spent."""
    stop_parts: ClassVar[tuple[str, ...]] = ("question", "step_prefix", "observation")
    """The prompt parts the engine writes; a line starting with one of their labels ends
    the model's step (:meth:`~agentcore.prompts.PromptTemplate.stop_sequences`)."""

    def __init__(
        self,
        backend: str | LLMBackend = DEFAULT_BACKEND,
        tools: Sequence[str | Tool] = DEFAULT_TOOLS,
        *,
        max_steps: int = 7,
        observation_chars: int = 300,
        step_reserve_tokens: int = 160,
        constrain: bool | None = None,
        reply_checks: Sequence[ReplyCheck] | None = None,
        max_reply_rejections: int = 2,
        repeats: RepeatPolicy = "exclude",
        **options: Any,
    ) -> None:
        if repeats not in ("exclude", "note"):
            raise ConfigError(f"repeats must be 'exclude' or 'note', got {repeats!r}")
        if max_steps < 1:
            raise ConfigError(f"max_steps must be at least 1, got {max_steps}")
        if max_reply_rejections < 0:
            raise ConfigError(f"max_reply_rejections must be 0 or more, got {max_reply_rejections}")
        self._tool_items = list(tools)
        super().__init__(backend, **options)
        self.max_steps = max_steps
        self.observation_chars = observation_chars
        self.step_reserve_tokens = step_reserve_tokens
        self.constrain = constrain
        self.reply_checks = tuple(DEFAULT_REPLY_CHECKS if reply_checks is None else reply_checks)
        self.max_reply_rejections = max_reply_rejections
        self.repeats = repeats
        template = self.template
        self.labels = StepLabels(
            thought=template.label("step_prefix", "Thought") or "Thought",
            action=template.label("action_prefix", "Action") or "Action",
            numbered=template.numbered("action_prefix")
            if "action_prefix" in template.extras
            else template.numbered("step_prefix"),
        )
        self.stops = template.stop_sequences(*self.stop_parts)
        self.opening_tool = self._opening_tool()

    def _opening_tool(self) -> str | None:
        """The tool the prompt opens each run with (extras ``opening_action``), checked."""
        name = self.template.extras.get("opening_action", "").strip()
        if not name:
            return None
        spec = self.specs.get(name)
        if spec is None or spec.string_argument is None:
            raise ConfigError(
                f"prompt {self.template.name!r}: opening_action {name!r} is not a "
                f"single-argument tool of this agent (its tools: {', '.join(self.specs) or 'none'})"
            )
        self.template.extra("opening_thought")  # required with it: a clear error now
        return name

    def _resolve_parts(self) -> None:
        self.tools: dict[str, Tool] = {}
        for item in self._tool_items:
            tool_obj = self._resolve_tool(item)
            if tool_obj.name.lower() == FINISH:
                raise ConfigError("'finish' is reserved for the final answer; rename the tool")
            self.tools[tool_obj.name] = tool_obj
        self.specs: dict[str, ToolSpec] = {name: t.spec for name, t in self.tools.items()}
        unknown = sorted(self.approval.names() - set(self.tools))
        if unknown:
            raise ConfigError(
                f"approval names {', '.join(unknown)}, not tools of this agent (its tools: "
                f"{', '.join(self.tools) or 'none'})"
            )

    def _resolve_tool(self, item: str | Tool) -> Tool:
        """A tool given by object or by registered name; anything else is a clear error."""
        if isinstance(item, Tool):
            return item
        if isinstance(item, str):
            return self.pm.tool(item)
        if callable(item):
            name = getattr(item, "__name__", repr(item))
            raise ConfigError(
                f"tools: {name!r} is a plain function; decorate it with @tool "
                "(from agentcore import tool) so the model is told its arguments and description"
            )
        raise ConfigError(f"tools: {item!r} is neither a tool name nor a Tool")

    def tool_names(self) -> list[str]:
        return list(self.tools)

    def describe_tools(self) -> str:
        """The tool list the instructions show the model."""
        return "\n".join(f"- {spec.usage()}: {spec.description}" for spec in self.specs.values())

    def grammar(self, exclude: dict[str, list[str]] | None = None) -> str | None:
        """A GBNF grammar allowing only well-formed actions, if the backend can use one;
        ``exclude``: arguments each single-string tool may not be called with."""
        if self.constrain is False or not self.backend.supports_grammar:
            return None
        from agentcore.grammar import react_step_grammar

        return react_step_grammar(list(self.specs.values()), labels=self.labels, exclude=exclude)

    def step_lead(self, step_index: int) -> str:
        if step_index > self.max_steps:
            return self.template.extra("final_nudge", step=step_index)
        return self.template.extra("step_prefix", step=step_index)

    def step_lines(self, step: Step) -> list[str]:
        labels, lines = self.labels, []
        if step.thought:
            lines.append(f"{labels.lead(labels.thought, step.index)} {step.thought}")
        if step.action is not None:
            lines.append(f"{labels.lead(labels.action, step.index)} {step.action.raw}")
        return lines

    def observation_line(self, step_index: int, observation: str) -> str | None:
        if "observation" not in self.template.extras:
            return None
        line = self.template.extra("observation", step=step_index, observation=observation)
        return line.strip("\n")

    # -- the loop ----------------------------------------------------------------------------

    def _loop(self, run: Run) -> Iterator[Step]:
        config = self.generation.with_stop(*self.stops)
        history = self._history(run, config)
        seen: dict[str, tuple[int, str]] = {}
        grammar = self.grammar()
        first = self._restore(run, history, seen)
        opening = self._opening_step(run) if first == 1 else None
        if opening is not None:
            step, parsed = opening
            self._take(run, step, parsed, seen)
            self._remember(history, step, parsed, finished=False)
            yield step
            first = 2
        limit = run.step_limit or self.max_steps
        for index in range(first, limit + 1):
            prompt = history.prompt(index)
            if not self._fits(prompt, config):
                run.note(f"context window full before step {index}")
                break
            turns = self._turns(history, index)
            if run.resume is not None and run.resume.index == index:
                step, parsed = self._retaken(run, run.resume, prompt)
            else:
                step, parsed = self._complete_step(run, index, prompt, config, grammar, turns)
                if self._repeated(parsed, seen):
                    step, parsed = self._different_step(run, step, parsed, prompt, config, turns)
            finished = self._take(run, step, parsed, seen)
            self._remember(history, step, parsed, finished)
            yield step
            if finished:
                return
        yield from self._final_answer(run, history, config)

    def _turns(self, history: History, index: int) -> PromptTurns | None:
        """What the step's call sends besides its prompt: the chat turns, for a backend that
        takes them."""
        return history.turns(index) if self.backend.accepts_turns else None

    def _remember(
        self, history: History, step: Step, parsed: ParsedStep, finished: bool, fresh: bool = True
    ) -> None:
        """Add a taken step to the history (``fresh=False``: a stored step, replayed)."""
        observation = None if finished else self._shorten(step.observation or "")
        cleaned = None
        action = parsed.action
        if observation is not None and action is not None and action.tool not in self.reply_tools:
            # What a tool returned is data (also when quoted in the repeated-action note):
            # cleaned, on one line, it can neither become special tokens nor forge a step
            # (agentcore.untrusted). The engine's own format help goes in as written.
            cleaned = self.guard.as_data(observation, step.sanitized if fresh else [])
        history.add(step.index, parsed, observation, cleaned)

    # -- resuming ----------------------------------------------------------------------------

    def _restore(self, run: Run, history: History, seen: dict[str, tuple[int, str]]) -> int:
        """Replay a resumed run's stored steps into ``history``; the next step's index.

        Each stored prompt hash is checked against the prompt rebuilt here, so a changed
        prompt file or setting is an error before anything runs (or is committed). Commits
        start again only once this passed (:meth:`Run.restored`).
        """
        steps = run.record.steps
        for step in steps:
            parsed = self._reparsed(run, step, history)
            action = parsed.action
            if step.tool_result is not None and action is not None:
                seen[action.key()] = (step.index, step.tool_result.observation)
            self._remember(history, step, parsed, finished=False, fresh=False)
        if run.resume is not None:
            self._reparsed(run, run.resume, history)
        run.restored()
        return steps[-1].index + 1 if steps else 1

    def _check_stored_steps(self, run: Run) -> None:
        import copy

        probe = copy.copy(run)
        probe.record = run.record.model_copy(deep=True)
        probe.tools = copy.copy(run.tools)
        probe.tools.conversation = copy.deepcopy(run.tools.conversation)
        probe.checkpointer = probe.held_checkpointer = None
        config = self.generation.with_stop(*self.stops)
        self._restore(probe, self._history(probe, config), {})

    def _reparsed(self, run: Run, step: Step, history: History) -> ParsedStep:
        """A stored step parsed as when it was taken; checked against what the run stored."""
        from agentcore.checkpoints import CheckpointError

        if not step.prompt_sha256 and step.index == 1 and self.opening_tool is not None:
            opening = self._opening_step(run)
            assert opening is not None
            parsed = opening[1]
        else:
            if step.prompt_sha256 != Step.hash_prompt(history.prompt(step.index)):
                raise CheckpointError(
                    f"run {run.run_id}: the prompt of step {step.index}, rebuilt from the stored "
                    "steps, is not the one the run used: the prompt file, the tools or the "
                    "agent's settings changed since; resume it with the agent it ran on (the "
                    "stored run is unchanged)"
                )
            parsed = self._parse_stored(step.completion)
        stored = step.action.key() if step.action is not None else None
        if (parsed.action.key() if parsed.action is not None else None) != stored:
            raise CheckpointError(
                f"run {run.run_id}: step {step.index}'s stored completion no longer parses to "
                "its action (the prompt's labels changed?); the stored run is unchanged"
            )
        return parsed

    def _retaken(self, run: Run, stored: Step, prompt: str) -> tuple[Step, ParsedStep]:
        """The step a resumed run takes again (pending or in flight), as the model wrote it."""
        parsed = self._parse_stored(stored.completion)
        fresh = stored.model_copy(
            update={"observation": None, "tool_result": None, "tool_s": 0.0, "sanitized": []}
        )
        return fresh, parsed

    def _parse_stored(self, completion: str) -> ParsedStep:
        """A stored step's completion read as when it was taken."""
        return parse_react_step(completion, self.specs, self.labels)

    def _check_same_agent(self, checkpoint) -> None:
        super()._check_same_agent(checkpoint)
        from agentcore.checkpoints import CheckpointError

        record = checkpoint.record
        steps = [*record.steps, *([checkpoint.in_flight.step] if checkpoint.in_flight else [])]
        if record.pending is not None:
            steps.append(record.pending.step)
        used = {s.action.tool for s in steps if s.action is not None and s.kind != "final"}
        missing = sorted(used - set(self.specs) - set(self.reply_tools))
        if missing:
            raise CheckpointError(
                f"run {checkpoint.run_id} used the tool(s) {', '.join(missing)}, which this agent "
                f"does not have (its tools: {', '.join(self.specs)}); install them or give them "
                "to the agent to resume it (the stored run is unchanged)"
            )

    def _requires_approval(self, tool: str, arguments: dict[str, Any]) -> bool:
        found = self.tools.get(tool)
        return bool(found and found.requires_approval) or super()._requires_approval(
            tool, arguments
        )

    def _may_pause(self) -> bool:
        return super()._may_pause() or any(t.requires_approval for t in self.tools.values())

    def _effect(self, tool: str) -> str:
        found = self.tools.get(tool)
        return found.effect if found is not None else "idempotent"

    def _history(self, run: Run, config: GenerationConfig) -> History:
        """The transcript this loop extends: the prompt, then each step as written."""
        return Transcript(self.template, self._fit_run(run, config))

    def _fit_run(self, run: Run, config: GenerationConfig) -> PromptFit:
        """The run's prompt with as many worked examples as leave room for its steps."""
        return self._fit_prompt(
            run,
            self._task_text(run),
            config.max_new_tokens + self.max_steps * self.step_reserve_tokens,
            **self._prompt_values(),
        )

    def _prompt_values(self) -> dict[str, Any]:
        """What the prompt's instructions may name: ``$tools`` and ``$max_steps``."""
        return {"tools": self.describe_tools(), "max_steps": self.max_steps}

    def _take(
        self, run: Run, step: Step, parsed: ParsedStep, seen: dict[str, tuple[int, str]]
    ) -> bool:
        """Act on the parsed step: finish the run (True), run the tool, or explain the problem."""
        action = parsed.action
        if action is None:
            step.parse_error = step.observation = parsed.error
            return False
        if action.tool in self.reply_tools:
            reply = str(action.arguments.get(self.reply_tools[action.tool], "")).strip()
            if reply:
                problem = self._check_reply(run, action.tool, reply)
                if problem:
                    step.reply_rejected, step.observation = reply, problem
                    return False
                run.record.answer, run.record.status = reply, RunStatus.FINISHED
                return True
            argument = self.reply_tools[action.tool]
            step.observation = (
                f"{action.tool} needs the {argument} inside the brackets: "
                f"{action.tool}[{argument}]."
            )
            return False
        step.observation, step.tool_result = self._act(run, step, action, seen)
        if step.tool_result is not None:
            step.tool_s = step.tool_result.duration_s
        return False

    def _check_reply(self, run: Run, action: str, reply: str) -> str | None:
        """The first problem the reply checks find, while rejections are left; else ``None``.

        Past :attr:`max_reply_rejections` the reply is accepted and the problem kept as a
        warning on the run (see :mod:`agentcore.reply_checks`).
        """
        if not self.reply_checks:
            return None
        draft = ReplyDraft(reply, action, run.tools, self._seen_text(run), self._prompt_text())
        problem = next((p for check in self.reply_checks if (p := check(draft))), None)
        if problem is None:
            return None
        rejected = sum(step.reply_rejected is not None for step in run.record.steps)
        if rejected < self.max_reply_rejections:
            return problem
        run.record.warnings.append(
            f"the {draft.noun} went out after {rejected} rejections, still failing a check: "
            + problem
        )
        return None

    def _seen_text(self, run: Run) -> str:
        """What the run was told: its input, the user's messages, the tools' observations."""
        parts = [run.record.input]
        parts += [s.tool_result.observation for s in run.record.steps if s.tool_result]
        conversation = run.tools.conversation
        for entry in getattr(conversation, "entries", ()):
            if entry.kind == "user":
                parts.append(entry.text)
            elif entry.observation and not entry.observation_by_engine:
                parts.append(entry.observation)
        return "\n".join(parts)

    def _prompt_text(self) -> str:
        """The prompt's fixed text: instructions, worked examples, the tools' descriptions."""
        template = self.template
        return "\n".join([template.instructions, *template.exemplars, self.describe_tools()])

    def _complete_step(
        self,
        run: Run,
        index: int,
        prompt: str,
        config: GenerationConfig,
        grammar: str | None,
        turns: PromptTurns | None = None,
    ) -> tuple[Step, ParsedStep]:
        """Generate and parse one step; repair a malformed one under the grammar."""
        attempt = (run, index, prompt, config, turns, grammar)
        completion, parsed = self._attempt(*attempt, constrained=self.constrain is True)
        repaired_from = None
        if parsed.action is None and self.constrain is None and self._repairable(grammar):
            first = completion
            run.retrying(index, self._repair_note(parsed))
            completion, repaired = self._attempt(*attempt, constrained=True)
            if repaired.action is not None:
                parsed, repaired_from = repaired, first.text
            completion = _with_earlier_cost(completion, first.usage, first.timings.total_s)
        step = self._new_step(
            index,
            prompt,
            completion,
            thought=parsed.thought,
            action=parsed.action,
            repaired_from=repaired_from,
        )
        return step, parsed

    def _attempt(
        self,
        run: Run,
        index: int,
        prompt: str,
        config: GenerationConfig,
        turns: PromptTurns | None,
        grammar: str | None,
        *,
        constrained: bool,
    ) -> tuple[Completion, ParsedStep]:
        """One try at step ``index``: generated (under ``grammar`` when ``constrained``) and
        parsed."""
        chosen = grammar if constrained else None
        completion = self._generate(run, index, prompt, config, grammar=chosen, turns=turns)
        return completion, parse_react_step(completion.text, self.specs, self.labels)

    def _repairable(self, grammar: str | None) -> bool:
        """Whether a step without a valid action can be asked for again, held to one."""
        return grammar is not None

    def _repair_note(self, parsed: ParsedStep) -> str:
        """Why a step is generated again (``on_retry``)."""
        return "no valid action in that output; generating it again under the grammar"

    def _opening_step(self, run: Run) -> tuple[Step, ParsedStep] | None:
        """The step the prompt opens every run with (``opening_action``), not yet taken;
        ``None`` when the prompt has none."""
        name = self.opening_tool
        if name is None:
            return None
        spec = self.specs[name]
        # one line, and brackets that cannot end the call early
        task = " ".join(self._task_text(run).split()).replace("[", "(").replace("]", ")")
        thought = self.template.extra("opening_thought").strip()
        action = Action(tool=name, arguments={spec.string_argument: task}, raw=f"{name}[{task}]")
        labels = self.labels
        consumed = f" {thought}\n{labels.lead(labels.action, 1)} {action.raw}"
        step = Step(index=1, thought=thought, action=action, prompt_sha256="")
        return step, ParsedStep(thought=thought, action=action, consumed=consumed)

    def _repeated(self, parsed: ParsedStep, seen: dict[str, tuple[int, str]]) -> bool:
        """Whether the step repeats a tool call already made and the policy rules it out."""
        action = parsed.action
        return (
            self.repeats == "exclude"
            and action is not None
            and action.key() in seen
            and self.backend.supports_grammar
            and self.constrain is not False
        )

    def _taken(self, run: Run) -> dict[str, list[str]]:
        """The arguments each single-string tool was called with so far in this run."""
        taken: dict[str, list[str]] = {}
        for step in run.record.steps:
            action = step.action
            spec = self.specs.get(action.tool) if action is not None else None
            if action is not None and spec is not None and spec.string_argument is not None:
                value = str(action.arguments.get(spec.string_argument, ""))
                taken.setdefault(action.tool, []).append(value)
        return taken

    def _different_step(
        self,
        run: Run,
        step: Step,
        parsed: ParsedStep,
        prompt: str,
        config: GenerationConfig,
        turns: PromptTurns | None,
    ) -> tuple[Step, ParsedStep]:
        """Generate ``step`` again under a grammar excluding the actions already taken.

        Kept only if it parses to an action not taken before; otherwise the repeat stands and
        the loop answers it with the repeated-action note.
        """
        from agentcore.grammar import excludable

        assert parsed.action is not None
        taken = self._taken(run)
        spec = self.specs[parsed.action.tool]
        repeated = str(parsed.action.arguments.get(spec.string_argument or "", ""))
        if spec.string_argument is None or not excludable(repeated):
            return step, parsed
        run.retrying(
            step.index,
            f"{parsed.action.raw} was done already; generating a different action",
        )
        completion, again = self._excluding(run, step.index, prompt, config, turns, taken)
        completion = _with_earlier_cost(completion, step.usage, step.llm_s)
        if again.action is None or again.action.key() == parsed.action.key():
            cost = {"usage": completion.usage, "llm_s": completion.timings.total_s}
            return step.model_copy(update=cost), parsed
        retried = self._new_step(
            step.index,
            prompt,
            completion,
            thought=again.thought,
            action=again.action,
            repaired_from=step.repaired_from,
            repeated_from=step.completion,
        )
        return retried, again

    def _excluding(
        self,
        run: Run,
        index: int,
        prompt: str,
        config: GenerationConfig,
        turns: PromptTurns | None,
        taken: dict[str, list[str]],
    ) -> tuple[Completion, ParsedStep]:
        """Step ``index`` generated again under a grammar ruling out the ``taken`` arguments."""
        exclude = self.grammar(taken)
        completion = self._generate(run, index, prompt, config, grammar=exclude, turns=turns)
        return completion, parse_react_step(completion.text, self.specs, self.labels)

    def _act(
        self, run: Run, step: Step, action: Action, seen: dict[str, tuple[int, str]]
    ) -> tuple[str, ToolResult | None]:
        index = step.index
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
        result = self._blocked(run, action.tool, action.arguments, index)
        if result is None:
            gated = self._gate(run, step, action.tool, action.arguments)
            if isinstance(gated, ToolResult):
                result = gated
            else:
                result = self.tools[action.tool].invoke(gated, run.tools)
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

    def _final_answer(self, run: Run, history: History, config: GenerationConfig) -> Iterator[Step]:
        """The budget is spent: one last call, after the prompt's nudge, asks for the answer."""
        index = (run.step_limit or self.max_steps) + 1
        prompt = history.final_prompt(index)
        final_config = config.model_copy(
            update={
                "stop": ("]", "\n"),
                "max_new_tokens": min(self.final_answer_tokens, config.max_new_tokens),
            }
        )
        run.record.status = RunStatus.MAX_STEPS
        if not self._fits(prompt, final_config):
            run.record.error = "the context window is full; no room to ask for a final answer"
            return
        turns = history.final_turns(index) if self.backend.accepts_turns else None
        completion = self._generate(run, index, prompt, final_config, turns=turns)
        answer = completion.text.strip()
        run.record.answer = answer or None
        history.add_final(answer)
        tool = self.final_tool
        argument = self.reply_tools[tool]
        yield self._new_step(
            index,
            prompt,
            completion,
            kind=StepKind.FINAL,
            action=Action(tool=tool, arguments={argument: answer}, raw=f"{tool}[{answer}]"),
        )

    def _shorten(self, text: str) -> str:
        flat = " ".join(text.split())
        if len(flat) <= self.observation_chars:
            return flat
        cut = flat[: self.observation_chars].rsplit(" ", 1)[0]
        return cut + " …"


def _with_earlier_cost(completion: Completion, usage: Usage, seconds: float) -> Completion:
    """``completion`` charged with an earlier attempt at the same step (its tokens and time):
    a regenerated step's trace and usage account for both calls."""
    total_s = seconds + completion.timings.total_s
    timings = completion.timings.model_copy(update={"total_s": total_s})
    return completion.model_copy(update={"usage": usage + completion.usage, "timings": timings})


class History(Protocol):
    """What a ReAct loop's prompt is made of, step after step: the loop's memory strategy.

    ReAct keeps one growing transcript (:class:`Transcript`); chat rebuilds its prompt from
    the conversation through a memory strategy (:class:`agentcore.chat.ConversationHistory`).
    The loop itself is the same.
    """

    def prompt(self, step_index: int) -> str:
        """The prompt for step ``step_index``, ending where the model writes."""
        ...

    def add(
        self, step_index: int, parsed: ParsedStep, observation: str | None, cleaned: str | None
    ) -> None:
        """Record a step: what the model wrote (``parsed.consumed``) and its observation, raw
        and, for tool output, ``cleaned`` for a prompt (``None``: the engine's own text, which
        goes in as written). ``observation`` is ``None`` for the step that ended the run."""
        ...

    def final_prompt(self, step_index: int) -> str:
        """The prompt asking for the final answer, ending inside the nudge's brackets."""
        ...

    def turns(self, step_index: int) -> PromptTurns:
        """:meth:`prompt` as chat turns, for a backend that sends messages."""
        ...

    def final_turns(self, step_index: int) -> PromptTurns:
        """:meth:`final_prompt` as chat turns."""
        ...

    def add_final(self, answer: str) -> None:
        """Record the final answer the nudge produced."""
        ...


class Transcript:
    """ReAct's history: the fitted prompt, then every step exactly as written.

    Each prompt extends the previous one byte for byte, so a backend with KV-prefix
    reuse evaluates only the new tokens. The same transcript is kept as chat turns too: the
    head and the task, then each step as the assistant's message and its observation as the
    user's (:mod:`agentcore.turns`).
    """

    def __init__(self, template: PromptTemplate, fit: PromptFit) -> None:
        self.template = template
        self.text = fit.prompt
        self.messages = opening_turns(fit.prompt, fit.question_at)

    def prompt(self, step_index: int) -> str:
        return self.text + self.template.extra("step_prefix", step=step_index)

    def turns(self, step_index: int) -> PromptTurns:
        lead = self.template.extra("step_prefix", step=step_index)
        return PromptTurns(messages=list(self.messages), lead=lead)

    def final_turns(self, step_index: int) -> PromptTurns:
        lead = self.template.extra("final_nudge", step=step_index)
        return PromptTurns(messages=list(self.messages), lead=lead)

    def add(
        self, step_index: int, parsed: ParsedStep, observation: str | None, cleaned: str | None
    ) -> None:
        if observation is None:
            return  # the run ends with this step
        shown = observation if cleaned is None else cleaned
        written = self.prompt(step_index)[len(self.text) :] + parsed.consumed.rstrip()
        engine = self.template.extra("observation", step=step_index, observation=shown)
        self.text += written + engine
        self.messages.append(Message(role="assistant", content=written.strip()))
        self.messages.append(Message(role="user", content=engine.strip()))

    def final_prompt(self, step_index: int) -> str:
        return self.text + self.template.extra("final_nudge", step=step_index)

    def add_final(self, answer: str) -> None:
        pass  # the run ends with it
