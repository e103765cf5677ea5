"""Conversations: a ReAct agent that talks to a user across turns.

``agent.chat(session_id, message)`` adds the user's message to the session's
conversation, then runs Thought → Action → Observation steps until the agent
replies with ``respond[message]`` (it then waits for the user's next message)
or ``finish[message]`` (the same, marking the task done). Tool steps between
user turns stay in the conversation, so the agent remembers what it looked up.
Which entries reach the prompt is the memory strategy's choice
(:mod:`agentcore.memory`); where conversations live between calls is the
store's (in memory, a JSON directory, or DuckDB through the store plugin).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from agentcore.agent import RunStream
from agentcore.backends import RetryCallback, TokenCallback
from agentcore.errors import ConfigError
from agentcore.memory import (
    Conversation,
    ConversationStore,
    Entry,
    FullBuffer,
    InMemoryStore,
    Memory,
)
from agentcore.models import Action, RunResult, RunStatus, Step, StepKind
from agentcore.parsing import FINISH
from agentcore.react import ReActAgent
from agentcore.tools import Tool, ToolContext, tool

RESPOND = "respond"
CHAT_STOPS = ("\nObservation", "\nThought", "\nUser:", "\nCustomer:")


@tool(name=RESPOND, timeout_s=None)
def respond(message: str) -> str:
    """Reply to the user and wait for their answer (ask a question, confirm, or report)."""
    return message  # never called: the chat loop hands the message to the user


class ChatAgent(ReActAgent):
    """A ReAct agent with conversations, memory and a ``respond`` action."""

    kind = "chat"
    default_prompt = "chat/assistant"
    numbered_steps = False

    def __init__(
        self,
        backend: Any = "llama-cpp",
        tools: Sequence[str | Tool] = (),
        *,
        memory: Memory | None = None,
        store: ConversationStore | None = None,
        max_steps: int = 6,
        **options: Any,
    ) -> None:
        super().__init__(backend, tools=[*tools, respond], max_steps=max_steps, **options)
        self.memory = memory or FullBuffer()
        self.store = store or InMemoryStore()
        self._conversation: Conversation | None = None
        self._tool_state: dict[str, dict[str, Any]] = {}

    def chat(
        self,
        session_id: str,
        message: str,
        *,
        on_token: TokenCallback | None = None,
        on_retry: RetryCallback | None = None,
    ) -> RunResult:
        """One user turn: returns the run whose ``answer`` is the agent's reply."""
        return self.chat_stream(session_id, message, on_token=on_token, on_retry=on_retry).result

    def chat_stream(
        self,
        session_id: str,
        message: str,
        *,
        on_token: TokenCallback | None = None,
        on_retry: RetryCallback | None = None,
    ) -> RunStream:
        """Like :meth:`chat`, but steps can be iterated as they complete."""
        if not session_id or not isinstance(session_id, str):
            raise ConfigError("chat needs a non-empty session_id string")
        conversation = self.store.load(session_id) or Conversation(session_id=session_id)
        self._conversation = conversation  # the loop adds the message once guardrails passed it
        holder: dict[str, RunResult] = {}
        steps = self._lifecycle(message, on_token, holder, on_retry)

        def saved_after(steps: Iterator[Step]) -> Iterator[Step]:
            try:
                yield from steps
            finally:
                self._settle_reply(conversation, holder.get("result"))
                self.store.save(conversation)

        return RunStream(saved_after(steps), holder)

    @property
    def current_conversation(self) -> Conversation | None:
        """The conversation of the turn in progress (or the last one)."""
        return self._conversation

    def history(self, session_id: str) -> Conversation | None:
        return self.store.load(session_id)

    def _settle_reply(self, conversation: Conversation, result: RunResult | None) -> None:
        """Make the conversation hold the reply the user got, so later turns see that one.

        An output guardrail may have revised the reply (the revision replaces the draft) or
        refused it (the draft is dropped; the trace keeps it).
        """
        if result is None or not any(
            e.check == "output" and e.action != "pass" for e in result.guardrails
        ):
            return
        entry = conversation.entries[-1] if conversation.entries else None
        if entry is None or entry.kind != "step" or entry.action is None:
            return
        if result.answer is None:
            conversation.entries.pop()
            return
        reply = f"{RESPOND}[{result.answer}]"
        entry.text = entry.text.replace(entry.action, reply)
        entry.action = reply

    # -- the loop ----------------------------------------------------------------------------

    def _render(self, entry: Entry, shorten: bool) -> str:
        """One entry as prompt text; the user's words and tool output go in as data."""
        if entry.kind == "user":
            return self.template.extra("user", text=self.guard.as_data(entry.text))
        text = self.template.extra("step_prefix") + (entry.text or "").rstrip() + "\n"
        if entry.observation is not None:
            observation = entry.observation
            if shorten:
                observation = self._shorten(observation)[:80] + " … (shortened)"
            if not entry.observation_by_engine:
                observation = self.guard.as_data(observation)
            text += self.template.extra("observation", observation=observation)
        return text

    def _loop(self, run: RunResult) -> Iterator[Step]:
        conversation = self._conversation
        if conversation is None:
            raise ConfigError("use agent.chat(session_id, message) to talk to a ChatAgent")
        conversation.add_user(run.input)  # as the input check left it
        config = self.generation.with_stop(*CHAT_STOPS)
        head = self.template.render(
            "", shots=self.shots, tools=self.describe_tools(), max_steps=self.max_steps
        )
        budget = (
            self.backend.context_window
            - self.backend.count_tokens(head)
            - config.max_new_tokens
            - 16
        )
        state = self._tool_state.setdefault(conversation.session_id, {})
        context = ToolContext(
            run_id=run.run_id, settings=self.settings, state=state, conversation=conversation
        )
        seen: dict[str, tuple[int, str]] = {}
        grammar = self.grammar()
        self._task_text(run)  # notes what cleaning the user's message changed; _render cleans
        for index in range(1, self.max_steps + 1):
            history, note = self.memory.select(
                conversation, self._render, self.backend.count_tokens, budget
            )
            if note and note not in run.notes:
                run.notes.append(note)
            prompt = head + history + self.template.extra("step_prefix")
            step, parsed = self._complete_step(run, index, prompt, config, grammar)
            entry = Entry(kind="step", text=parsed.consumed, thought=parsed.thought)
            action = parsed.action
            if action is not None and action.tool in (RESPOND, FINISH):
                reply = str(action.arguments.get("message", action.arguments.get("answer", "")))
                if reply.strip():
                    entry.action = action.raw
                    conversation.entries.append(entry)
                    run.answer, run.status = reply.strip(), RunStatus.FINISHED
                    yield step
                    return
                step.observation = "The reply is empty: write respond[your message to the user]."
                entry.observation_by_engine = True
            elif action is None:
                step.parse_error = step.observation = parsed.error
                entry.observation_by_engine = True
            else:
                entry.action = action.raw
                step.observation, step.tool_result = self._act(run, index, action, context, seen)
                if step.tool_result is not None:
                    step.tool_s = step.tool_result.duration_s
            entry.observation = self._shorten(step.observation or "")
            if not entry.observation_by_engine:
                self.guard.as_data(entry.observation, step.sanitized)  # record what _render does
            conversation.entries.append(entry)
            yield step
        yield from self._final_reply(run, conversation, head, budget, config)

    def _final_reply(self, run, conversation, head, budget, config) -> Iterator[Step]:
        history, _ = self.memory.select(
            conversation, self._render, self.backend.count_tokens, budget
        )
        index = self.max_steps + 1
        prompt = head + history + self.template.extra("final_nudge")
        final = config.model_copy(update={"stop": ("]", "\n"), "max_new_tokens": 96})
        run.status = RunStatus.MAX_STEPS
        completion = self._generate(run, index, prompt, final)
        reply = completion.text.strip()
        run.answer = reply or None
        conversation.entries.append(
            Entry(
                kind="step",
                text=f" {self.template.extra('final_nudge_thought')}\nAction: respond[{reply}]",
                action=f"respond[{reply}]",
            )
        )
        yield self._new_step(
            index,
            prompt,
            completion,
            kind=StepKind.FINAL,
            action=Action(tool=RESPOND, arguments={"message": reply}, raw=f"respond[{reply}]"),
        )
