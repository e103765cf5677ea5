"""The interface every LLM backend implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence

from agentcore.errors import BackendError
from agentcore.models import Completion, GenerationConfig, Message

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
