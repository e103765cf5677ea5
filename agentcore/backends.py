"""The interface every LLM backend implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence

from agentcore.errors import BackendError
from agentcore.models import Completion, GenerationConfig, Message, ToolRequest

TokenCallback = Callable[[str], None]
"""Called with each piece of text as it is generated. Raising ``KeyboardInterrupt``
(or any exception) from it stops generation."""

RetryCallback = Callable[[int, str], None]
"""Called with (step index, reason) when a step's generation is thrown away and redone."""


def ensure_room(
    prompt_tokens: int, config: GenerationConfig, context_window: int, fix: str
) -> None:
    """Refuse a call whose prompt plus ``max_new_tokens`` cannot fit the context window.

    Checked before generating, so the user gets the sizes and ``fix`` (how to make room on
    this backend) instead of a truncated prompt or a failure deep inside the library.
    """
    if prompt_tokens + config.max_new_tokens > context_window:
        raise BackendError(
            f"prompt ({prompt_tokens} tokens) plus max_new_tokens ({config.max_new_tokens}) "
            f"exceeds the context window ({context_window}); {fix}"
        )


class LLMBackend(ABC):
    """A text generator.

    The loops work on plain text prompts (the ReAct and PAL formats are text
    continuations), so :meth:`complete` is the one required method. Backends
    whose models need a chat template apply it in :meth:`chat`.

    ``session`` lets a backend keep per-conversation state (such as a KV cache)
    when several runs share it; a backend may ignore it.
    """

    name: str = "backend"
    model_name: str = ""
    supports_async: bool = False
    """Whether :meth:`acomplete` exists: an async run (:mod:`agentcore.aio`) then makes its
    model calls on the caller's event loop instead of blocking its worker thread on them."""
    model_sha256: str | None = None
    """The SHA-256 of the model file, where there is one (a durable run records it, and a
    resume with another file is refused); ``None`` for a model served by name."""
    context_window: int = 4096
    supports_grammar: bool = False
    supports_tools: bool = False
    """Whether :meth:`complete_tools` calls tools natively with this backend's model (the
    ``tool-calling`` agent needs it): a server with a tools API, or a model whose chat
    template has a tool-call format."""
    accepts_turns: bool = False
    """Whether :meth:`complete` takes ``turns=``: the prompt as chat turns
    (:class:`~agentcore.models.PromptTurns`), which a backend that talks to a chat API sends
    instead of the text. The loops pass them only to a backend that sets this."""

    @abstractmethod
    def complete(
        self,
        prompt: str,
        config: GenerationConfig,
        *,
        on_token: TokenCallback | None = None,
        grammar: str | None = None,
        session: str | None = None,
    ) -> Completion:
        """Continue ``prompt`` under ``config``."""

    def chat(
        self,
        messages: Sequence[Message],
        config: GenerationConfig,
        *,
        on_token: TokenCallback | None = None,
        session: str | None = None,
    ) -> Completion:
        """Reply to a conversation. The default renders a plain transcript.

        Message contents are data: their special tokens, invisible characters and role
        markers (``User:`` in a message) are made inert first (:meth:`data_messages`);
        backends that apply a chat template do the same.
        """
        messages = self.data_messages(messages)
        lines = [f"{m.role.capitalize()}: {m.content}" for m in messages]
        prompt = "\n".join(lines) + "\nAssistant:"
        return self.complete(
            prompt, config.with_stop("\nUser:"), on_token=on_token, session=session
        )

    def complete_tools(
        self,
        request: ToolRequest,
        config: GenerationConfig,
        *,
        on_token: TokenCallback | None = None,
        session: str | None = None,
    ) -> Completion:
        """Reply to ``request``'s conversation, calling its tools natively: the calls come
        back in :attr:`Completion.tool_calls`.

        The default renders the request with :meth:`render_tools` (ChatML with Hermes tool
        calls, Qwen2.5's format), continues that text with :meth:`complete` — under a grammar
        allowing only a well-formed call when the request requires one and this backend
        supports grammars — and reads the calls out of the reply. A backend whose model has a
        template of its own overrides :meth:`render_tools`; one that talks to a server with a
        tools API overrides this.
        """
        from agentcore.tool_calls import (
            CALL_CLOSE,
            CALL_LINE_END,
            closed_call,
            parse_tool_calls,
            tool_call_grammar,
        )  # fmt: skip

        grammar = (
            tool_call_grammar(request.tools, exclude=request.exclude)
            if request.required and self.supports_grammar and request.tools
            else None
        )
        prompt = self.render_tools(request)
        completion = self.complete(
            prompt, config.with_stop(CALL_CLOSE, CALL_LINE_END), on_token=on_token,
            grammar=grammar, session=session,
        )  # fmt: skip
        text = closed_call(completion.text)
        _, calls = parse_tool_calls(text)
        return completion.model_copy(update={"text": text, "tool_calls": calls})

    async def acomplete_tools(
        self,
        request: ToolRequest,
        config: GenerationConfig,
        *,
        on_token: TokenCallback | None = None,
        session: str | None = None,
    ) -> Completion:
        """:meth:`complete_tools` as a coroutine (the default runs it in a thread)."""
        import asyncio

        return await asyncio.to_thread(
            self.complete_tools, request, config, on_token=on_token, session=session
        )

    def render_tools(self, request: ToolRequest) -> str:
        """The prompt text :meth:`complete_tools` continues for ``request`` (also what a run
        hashes and counts as the step's prompt). The default is ChatML with the Hermes tool
        format; contents are cleaned as data (:meth:`data_messages`)."""
        from agentcore.tool_calls import render_chatml

        cleaned = request.model_copy(update={"messages": self.data_messages(request.messages)})
        return render_chatml(cleaned)

    def count_tokens(self, text: str) -> int:
        """Tokens ``text`` takes. The default estimates 4 characters per token."""
        return max(1, len(text) // 4)

    def special_tokens(self) -> Sequence[str]:
        """Strings this backend's tokenizer turns into control tokens (``<|im_start|>``).

        Untrusted text has them escaped before it enters a prompt; the agent adds them to
        :data:`agentcore.untrusted.DEFAULT_SPECIAL_TOKENS`, which covers ChatML/Qwen, Llama
        and Gemma. A backend that can read its vocabulary returns its own; the default,
        for backends that cannot (a remote server), is none beyond that list.
        """
        return ()

    def data_messages(self, messages: Sequence[Message]) -> list[Message]:
        """``messages`` with contents cleaned as data: special tokens, invisible characters
        and role markers (``Assistant:`` opening a line) made inert; the system message,
        which the application wrote, is kept as it is."""
        from agentcore.untrusted import CHAT_ROLES, PromptGuard, clean_messages

        return clean_messages(messages, PromptGuard(self.special_tokens(), CHAT_ROLES))

    async def acomplete(
        self,
        prompt: str,
        config: GenerationConfig,
        *,
        on_token: TokenCallback | None = None,
        grammar: str | None = None,
        session: str | None = None,
    ) -> Completion:
        """:meth:`complete` as a coroutine, for a backend that talks to a server
        (``supports_async``); the default runs :meth:`complete` in a thread."""
        import asyncio

        return await asyncio.to_thread(
            self.complete, prompt, config, on_token=on_token, grammar=grammar, session=session
        )

    def export_session(self, session: str) -> bytes | None:
        """The KV state cached for ``session`` as bytes, for a stopped durable run to keep
        (``None``: this backend has none to give; re-evaluating the prompt is the fallback)."""
        return None

    def import_session(self, session: str, data: bytes) -> int:
        """Take a state :meth:`export_session` gave as ``session``'s; the tokens it holds
        (0: refused or not supported, and the next call evaluates its whole prompt)."""
        return 0

    def close(self) -> None:  # noqa: B027 - optional hook, default does nothing
        """Release resources (model memory, connections)."""
