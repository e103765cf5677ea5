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

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from agentcore.agent import RunStream
from agentcore.backends import RetryCallback, TokenCallback
from agentcore.defaults import DEFAULT_BACKEND
from agentcore.errors import ConfigError
from agentcore.memory import (
    Conversation,
    ConversationStore,
    Entry,
    FullBuffer,
    InMemoryStore,
    Memory,
)
from agentcore.models import GenerationConfig, PromptTurns, RunResult, Step
from agentcore.parsing import FINISH, ParsedStep
from agentcore.prompts import PromptTemplate
from agentcore.react import ReActAgent
from agentcore.run import Run
from agentcore.tools import Tool, tool
from agentcore.turns import opening_turns

if TYPE_CHECKING:
    from agentcore.aio import AsyncRunStream

RESPOND = "respond"


@tool(name=RESPOND, timeout_s=None)
def respond(message: str) -> str:
    """Reply to the user and wait for their answer (ask a question, confirm, or report)."""
    return message  # never called: the chat loop hands the message to the user


class ChatAgent(ReActAgent):
    """A ReAct agent with conversations, memory and a ``respond`` action.

    The loop is ReAct's; a chat turn differs only in its history: the conversation so far
    (user messages and earlier steps), of which the memory strategy picks what fits.
    """

    kind = "chat"
    resumable = True
    default_prompt = "chat/assistant"
    reply_tools: ClassVar[dict[str, str]] = {RESPOND: "message", FINISH: "answer"}
    final_tool = RESPOND
    stop_parts: ClassVar[tuple[str, ...]] = ("user", "step_prefix", "observation")

    def __init__(
        self,
        backend: Any = DEFAULT_BACKEND,
        tools: Sequence[str | Tool] = (),
        *,
        memory: Memory | None = None,
        store: ConversationStore | None = None,
        session_state: dict[str, dict[str, Any]] | None = None,
        max_steps: int = 6,
        **options: Any,
    ) -> None:
        """``store`` keeps the conversations, ``session_state`` each conversation's tool state
        (what a ShopBot has verified, the labels it made). Agents that take turns of the same
        conversations — one instance per worker thread of a server — share both."""
        super().__init__(backend, tools=[*tools, respond], max_steps=max_steps, **options)
        self.memory = memory or FullBuffer()
        self.store = store or InMemoryStore()
        self._session_state: dict[str, dict[str, Any]] = (
            session_state if session_state is not None else {}
        )
        self._session_lock = threading.Lock()

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
        run_id: str | None = None,
    ) -> RunStream:
        """Like :meth:`chat`, but steps can be iterated as they complete (``run_id``: see
        :meth:`~agentcore.agent.Agent.stream`)."""
        if not session_id or not isinstance(session_id, str):
            raise ConfigError("chat needs a non-empty session_id string")
        conversation = self.store.load(session_id) or Conversation(session_id=session_id)
        # the loop adds the message to the conversation once the input check passed it
        run = self._new_run(
            message,
            on_token=on_token,
            on_retry=on_retry,
            conversation=conversation,
            tool_state=self._tool_state(session_id),
            run_id=run_id,
        )
        if self.checkpointer is not None:  # a resumed turn replays its steps onto this
            run.conversation_before = conversation.model_dump(mode="json")
        return self._run_stream(run)

    def _tool_state(self, session_id: str) -> dict[str, Any]:
        with self._session_lock:  # the tools' scratch state lasts the whole conversation
            return self._session_state.setdefault(session_id, {})

    def _run_stream(self, run: Run) -> RunStream:
        conversation = run.conversation
        steps = self._lifecycle(run)

        def saved_after(steps: Iterator[Step]) -> Iterator[Step]:
            try:
                yield from steps
            finally:
                if conversation is not None:
                    self._settle_reply(conversation, run.record)
                    self.store.save(conversation)

        return RunStream(saved_after(steps), run)

    def _resume_run_options(self, checkpoint) -> dict[str, Any]:
        from agentcore.checkpoints import CheckpointError

        if checkpoint.conversation is None:
            raise CheckpointError(
                f"run {checkpoint.run_id} kept no conversation, so its chat turn cannot be "
                "rebuilt; start the turn again"
            )
        conversation = Conversation.model_validate(checkpoint.conversation)
        return {
            "conversation": conversation,
            "tool_state": self._tool_state(conversation.session_id),
        }

    async def achat(self, session_id: str, message: str, **options: Any) -> RunResult:
        """:meth:`chat` for asyncio (the same loop in a worker thread; see agentcore.aio)."""
        return await self.achat_stream(session_id, message, **options).result()

    def achat_stream(self, session_id: str, message: str, **options: Any) -> AsyncRunStream:
        """:meth:`chat_stream` for asyncio: ``async for step in agent.achat_stream(...)``."""
        from agentcore.aio import AsyncRunStream

        return AsyncRunStream(lambda: self.chat_stream(session_id, message, **options))

    def history(self, session_id: str) -> Conversation | None:
        return self.store.load(session_id)

    def step_lead(self, step_index: int) -> str:
        if step_index > self.max_steps:
            return self.template.extra("final_nudge")
        return self.template.extra("step_prefix")

    def _settle_reply(self, conversation: Conversation, result: RunResult) -> None:
        """Make the conversation hold the reply the user got, so later turns see that one.

        An output guardrail may have revised the reply (the revision replaces the draft) or
        refused it (the draft is dropped; the trace keeps it).
        """
        if not any(e.check == "output" and e.action != "pass" for e in result.guardrails):
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

    # -- the history the loop extends --------------------------------------------------------

    def _history(self, run: Run, config: GenerationConfig) -> ConversationHistory:
        conversation = run.conversation
        if conversation is None:
            raise ConfigError("use agent.chat(session_id, message) to talk to a ChatAgent")
        conversation.add_user(run.record.input)  # as the input check left it
        head = self.template.render(
            "", shots=self.shots, tools=self.describe_tools(), max_steps=self.max_steps
        )
        budget = (
            self.backend.context_window
            - self.backend.count_tokens(head)
            - config.max_new_tokens
            - 16
        )
        self._task_text(run)  # notes what cleaning the user's message changed; _render cleans
        return ConversationHistory(
            self.template, conversation, head, lambda c: self._select(c, budget, run), RESPOND
        )

    def _select(self, conversation: Conversation, budget: int, run: Run) -> str:
        history, note = self.memory.select(
            conversation, self._render, self.backend.count_tokens, budget
        )
        run.note(note)
        return history

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


class ConversationHistory:
    """Chat's history (see :class:`agentcore.react.History`): each prompt is the head
    (instructions, exemplars) plus what the memory strategy selects of the conversation;
    steps are added to the conversation, which the store keeps between turns."""

    def __init__(
        self,
        template: PromptTemplate,
        conversation: Conversation,
        head: str,
        select: Callable[[Conversation], str],
        reply_tool: str,
    ) -> None:
        self.template = template
        self.conversation = conversation
        self.head = head
        self.select = select
        self.reply_tool = reply_tool

    def prompt(self, step_index: int) -> str:
        return self.head + self.select(self.conversation) + self.template.extra("step_prefix")

    def add(
        self, step_index: int, parsed: ParsedStep, observation: str | None, cleaned: str | None
    ) -> None:
        entry = Entry(kind="step", text=parsed.consumed, thought=parsed.thought)
        if parsed.action is not None and (observation is None or cleaned is not None):
            entry.action = parsed.action.raw  # a reply, or a tool call
        if observation is not None:
            entry.observation = observation
            entry.observation_by_engine = cleaned is None
        self.conversation.entries.append(entry)

    def final_prompt(self, step_index: int) -> str:
        return self.head + self.select(self.conversation) + self.template.extra("final_nudge")

    def turns(self, step_index: int) -> PromptTurns:
        """The head as the system message, the conversation the memory keeps as the user's."""
        return self._turns(self.template.extra("step_prefix"))

    def final_turns(self, step_index: int) -> PromptTurns:
        return self._turns(self.template.extra("final_nudge"))

    def _turns(self, lead: str) -> PromptTurns:
        text = self.head + self.select(self.conversation)
        return PromptTurns(messages=opening_turns(text, len(self.head)), lead=lead)

    def add_final(self, answer: str) -> None:
        """The reply joins the conversation as if the model had written the whole nudge."""
        nudge = self.template.extra("final_nudge")
        prefix = self.template.extra("step_prefix")
        written = nudge[len(prefix) :] if nudge.startswith(prefix) else nudge
        reply = f"{self.reply_tool}[{answer}]"
        self.conversation.entries.append(
            Entry(kind="step", text=written + answer + "]", action=reply)
        )
