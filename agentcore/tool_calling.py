"""The ``tool-calling`` agent: the ReAct loop with the model's native tool calls.

Text ReAct asks the model to write ``Action 2: search[X]`` and parses it. Models trained on
function calling have a format of their own: the tools' JSON schemas in the system message and
each call as JSON (Qwen2.5: ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>``);
servers take the tools as an API field and return the calls parsed. This agent speaks that:
each step is one :meth:`~agentcore.backends.LLMBackend.complete_tools` call on the
conversation so far (instructions, worked examples, the question, then each call and its
result as ``tool`` messages), and the answer is a call of the ``finish`` tool.

Everything else is the ReAct loop's own (:mod:`agentcore.react`): tool validation and time
limits, approvals, checkpoints and resume, budgets, guardrails, the final-answer call when the
steps run out. Only a step's input and how its reply is read differ, so the two formats can
be compared on the same questions (``agentcore eval hotpotqa --agent tool-calling``).

Well-formed calls: with ``constrain=None`` (the default) a reply with no usable call is asked
for again with the call required — under a grammar from the tools' schemas on backends that
support grammars (llama.cpp), with ``tool_choice: "required"`` on a server; ``constrain=True``
requires it from the start. A repeated call is answered with the prompt's note (the grammar
that excludes a repeated ReAct action has no JSON counterpart yet).

The worked examples are written once, in the ReAct format of the prompt file (``Thought 1:``,
``Action 1: search[X]``, ``Observation 1:``), and given to the model as past conversations in
its native format — the same examples a text-ReAct prompt shows.
"""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar

from agentcore.errors import ConfigError
from agentcore.models import (
    Action,
    Completion,
    GenerationConfig,
    Message,
    PromptTurns,
    RunStatus,
    StepKind,
    ToolCall,
    ToolRequest,
    ToolSpec,
)
from agentcore.parsing import FINISH, ParsedStep, parse_react_step
from agentcore.react import ReActAgent
from agentcore.run import Run

FINISH_SPEC = ToolSpec(
    name=FINISH,
    description="Give the final answer, as short as possible (a name, a date, a number, yes or "
    "no), and stop.",
    parameters={
        "type": "object",
        "properties": {"answer": {"type": "string"}},
        "required": ["answer"],
    },
    string_argument="answer",
)


class ToolCallingAgent(ReActAgent):
    """Answer by calling tools natively, until the model calls ``finish``.

    Takes what :class:`~agentcore.react.ReActAgent` takes. ``repeats="exclude"`` (the
    default) asks again for a repeated call under a grammar that rules out the arguments
    already used, on backends with grammars; elsewhere the prompt's note answers it. The
    prompt file gives the instructions (the system message), the worked examples (in the
    ReAct format, converted) and the ``repeated_action`` and ``final_nudge`` texts.
    """

    kind = "tool-calling"
    default_prompt = "tool-calling/wikipedia"
    stop_parts: ClassVar[tuple[str, ...]] = ()

    def _resolve_backend(self, backend: Any, model: str | None, options: dict[str, Any]) -> Any:
        made = super()._resolve_backend(backend, model, options)
        if not made.supports_tools:
            if made is not backend:
                made.close()
            raise ConfigError(
                f"backend {made.name!r} has no native tool calling; use the react agent "
                "(text actions) with it"
            )
        return made

    def _opening_tool(self) -> str | None:
        if self.template.extras.get("opening_action", "").strip():
            raise ConfigError(
                f"prompt {self.template.name!r}: opening_action is for text ReAct prompts"
            )
        return None

    def call_specs(self) -> list[ToolSpec]:
        """The tools offered to the model: the agent's, then ``finish``."""
        return [*self.specs.values(), FINISH_SPEC]

    def grammar(self, exclude: dict[str, list[str]] | None = None) -> str | None:
        return None  # the backend builds the call grammar from the request's tools

    def _excluding(
        self,
        run: Run,
        index: int,
        prompt: str,
        config: GenerationConfig,
        turns: PromptTurns | None,
        taken: dict[str, list[str]],
    ) -> tuple[Completion, ParsedStep]:
        assert turns is not None
        request = self._request(turns, True).model_copy(update={"exclude": taken})
        completion = self._generate(run, index, prompt, config, request=request)
        return completion, self.read_reply(completion.text)

    def _history(self, run: Run, config: GenerationConfig) -> ToolConversation:
        fit = self._fit_run(run, config)
        head, asked = self.template.render_parts(
            self._task_text(run), shots=0, **self._prompt_values()
        )
        messages = [Message(role="system", content=head.strip())]
        for number, exemplar in enumerate(self.template.exemplars[: fit.shots_used], 1):
            shown = self.exemplar_messages(exemplar)
            if shown is None:
                run.note(f"worked example {number} left out: it calls a tool this agent lacks")
                continue
            messages += shown
        messages.append(Message(role="user", content=asked.strip()))
        return ToolConversation(self, messages)

    def _turns(self, history: Any, index: int) -> PromptTurns:
        return history.turns(index)

    # -- one step ------------------------------------------------------------------------------

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
        """One try at the step's call: ``constrained`` requires a call (a grammar from the
        tools' schemas in process, ``tool_choice: "required"`` on a server)."""
        assert turns is not None
        request = self._request(turns, constrained)
        completion = self._generate(run, index, prompt, config, request=request)
        if len(completion.tool_calls) > 1:
            run.note(
                f"step {index}: the model made {len(completion.tool_calls)} calls; the first ran"
            )
        return completion, self.read_reply(completion.text)

    def _repairable(self, grammar: str | None) -> bool:
        return True  # a call can always be required, by grammar or by the API

    def _repair_note(self, parsed: ParsedStep) -> str:
        return f"{parsed.error} Asking again with a tool call required."

    def _request(self, turns: PromptTurns, required: bool) -> ToolRequest:
        return ToolRequest(messages=turns.messages, tools=self.call_specs(), required=required)

    def read_reply(self, text: str) -> ParsedStep:
        """A reply's first call as the loop's step: its thought (the words before the call)
        and action, or the error the model is told (no call, broken JSON, unknown tool)."""
        from agentcore.tool_calls import parse_tool_calls

        content, calls = parse_tool_calls(text)
        thought = " ".join(content.split())
        names = ", ".join(spec.name for spec in self.call_specs())
        if not calls:
            error = (
                "That reply called no tool. Call one of the tools, or call finish with the answer."
            )
            return ParsedStep(thought=thought, action=None, consumed=text, error=error)
        call = calls[0]
        if call.error is not None or call.arguments is None:
            error = f"Your call of {call.name or 'a tool'} was malformed: {call.error}."
            return ParsedStep(thought=thought, action=None, consumed=text, error=error)
        if call.name not in self.specs and call.name != FINISH:
            error = f"There is no tool {call.name!r}; the tools are: {names}."
            return ParsedStep(thought=thought, action=None, consumed=text, error=error)
        raw = f"{call.name}({json.dumps(call.arguments, ensure_ascii=False)})"
        action = Action(tool=call.name, arguments=call.arguments, raw=raw)
        return ParsedStep(thought=thought, action=action, consumed=text)

    # -- the last answer, and resuming ---------------------------------------------------------

    def _final_answer(self, run: Run, history: Any, config: GenerationConfig):
        """The steps are spent: one call, with ``finish`` the only tool and required."""
        index = (run.step_limit or self.max_steps) + 1
        nudge = Message(role="user", content=self.template.extra("final_nudge", step=index))
        request = ToolRequest(
            messages=[*history.messages, nudge], tools=[FINISH_SPEC], required=True
        )
        prompt = self.backend.render_tools(request)
        final_config = config.model_copy(
            update={"max_new_tokens": min(self.final_answer_tokens * 2, config.max_new_tokens)}
        )
        run.record.status = RunStatus.MAX_STEPS
        if not self._fits(prompt, final_config):
            run.record.error = "the context window is full; no room to ask for a final answer"
            return
        completion = self._generate(run, index, prompt, final_config, request=request)
        parsed = self.read_reply(completion.text)
        answer = ""
        if parsed.action is not None and parsed.action.tool == FINISH:
            answer = str(parsed.action.arguments.get("answer", "")).strip()
        run.record.answer = answer or None
        yield self._new_step(
            index, prompt, completion, kind=StepKind.FINAL,
            action=Action(tool=FINISH, arguments={"answer": answer}, raw=f"{FINISH}({answer})"),
        )  # fmt: skip

    def _parse_stored(self, completion: str) -> ParsedStep:
        return self.read_reply(completion)

    # -- worked examples -----------------------------------------------------------------------

    def exemplar_messages(self, exemplar: str) -> list[Message] | None:
        """A worked example in the ReAct format as the conversation it stands for: the
        question, then each thought and call as the assistant's, each observation as the tool's.
        ``None`` when it calls a tool the agent does not have (shown, a model would call it).
        """
        labels = self.labels
        pattern = re.compile(
            rf"^(?P<label>{re.escape(labels.thought)}|{re.escape(labels.action)}|[A-Z][a-z]+)"
            r"(?: \d+)?: ?(?P<text>.*)$"
        )
        question = self.template.label("question", "Question")
        messages: list[Message] = []
        thought = ""
        for line in exemplar.strip().splitlines():
            match = pattern.match(line)
            if match is None:
                raise ConfigError(
                    f"prompt {self.template.name!r}: exemplar line {line!r} is not "
                    "a Question/Thought/Action/Observation line"
                )
            label, text = match.group("label"), match.group("text").strip()
            if label == question:
                messages.append(Message(role="user", content=line.strip()))
            elif label == labels.thought:
                thought = text
            elif label == labels.action:
                lead = labels.lead(labels.action, 1)
                name = text.split("[", 1)[0].strip()
                if name not in self.specs and name != FINISH:
                    return None
                parsed = parse_react_step(f" {thought}\n{lead} {text}", self.specs, labels)
                if parsed.action is None:
                    raise ConfigError(
                        f"prompt {self.template.name!r}: exemplar action {text!r}: {parsed.error}"
                    )
                call = ToolCall(
                    id=f"call_{len(messages)}", name=parsed.action.tool,
                    arguments=parsed.action.arguments,
                )  # fmt: skip
                messages.append(Message(role="assistant", content=thought, tool_calls=[call]))
            else:  # an observation: the result of the call just made
                made = messages[-1].tool_calls if messages else None
                if not made:
                    raise ConfigError(
                        f"prompt {self.template.name!r}: exemplar observation {line!r} follows "
                        "no action"
                    )
                messages.append(
                    Message(role="tool", content=text, tool_call_id=made[0].id, name=made[0].name)
                )
        return messages


class ToolConversation:
    """The tool-calling loop's history: messages, each step's call and its result added.

    ``prompt`` is the backend's rendering of the conversation (what an in-process model
    continues, byte for byte extended step after step, so KV-prefix reuse still applies).
    """

    def __init__(self, agent: ToolCallingAgent, messages: list[Message]) -> None:
        self.agent = agent
        self.messages = messages

    def prompt(self, step_index: int) -> str:
        request = ToolRequest(messages=self.messages, tools=self.agent.call_specs())
        return self.agent.backend.render_tools(request)

    def turns(self, step_index: int) -> PromptTurns:
        return PromptTurns(messages=list(self.messages))

    def final_prompt(self, step_index: int) -> str:
        return self.prompt(step_index)

    def final_turns(self, step_index: int) -> PromptTurns:
        return self.turns(step_index)

    def add(
        self, step_index: int, parsed: ParsedStep, observation: str | None, cleaned: str | None
    ) -> None:
        if observation is None:
            return  # the run ends with this step
        shown = observation if cleaned is None else cleaned
        action = parsed.action
        if action is None:  # no usable call: what it wrote, and what was wrong, as the user's
            self.messages.append(Message(role="assistant", content=parsed.consumed.strip()))
            self.messages.append(Message(role="user", content=shown))
            return
        call = ToolCall(id=f"call_{step_index}", name=action.tool, arguments=action.arguments)
        self.messages.append(Message(role="assistant", content=parsed.thought, tool_calls=[call]))
        self.messages.append(
            Message(role="tool", content=shown, tool_call_id=call.id, name=action.tool)
        )

    def add_final(self, answer: str) -> None:
        pass  # the run ends with it
