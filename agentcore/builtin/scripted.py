"""The ``scripted`` backend: a test tool, not a model.

It replays completions given in advance and records every prompt it receives,
so the engine's own logic (parsing, budgets, repeated actions, error paths) can
be tested deterministically and fast. It never stands in for a real backend in
an example or a measurement.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import Field, PositiveInt, field_validator

from agentcore.backends import LLMBackend, TokenCallback
from agentcore.errors import BackendError
from agentcore.hookspecs import hookimpl
from agentcore.models import Completion, GenerationConfig, PromptTurns, Timings, Usage
from agentcore.options import Options, validate_options


class ScriptedOptions(Options):
    """What :class:`ScriptedBackend` takes (``-o completions=TEXT`` replays one completion)."""

    completions: list[str] = Field(
        [], description="Completions to replay, in order (on the CLI: one text, or a JSON list)."
    )
    responder: Callable[[str], str] | None = Field(
        None, description="Python API only: called with each prompt for its completion."
    )
    context_window: PositiveInt = Field(8192, description="Context window it claims.")
    model_name: str = Field("scripted", description="Model name it reports.")
    supports_grammar: bool = Field(
        False, description="Claim grammar support (to see when a grammar is passed)."
    )
    supports_tools: bool = Field(
        True, description="Offer native tool calls (replies read in the Hermes format)."
    )
    accepts_turns: bool = Field(
        False, description="Take the prompt's chat turns too (to see what a chat API is sent)."
    )
    delay_s: float = Field(
        0.0, ge=0, le=60, description="Seconds each completion takes (to hold runs in flight)."
    )
    skip_in_prompt: bool = Field(
        False,
        description="Replay the first completion the prompt does not already hold, like a "
        "deterministic model continuing a transcript (a resumed run, in a new process, gets "
        "the next step's completion).",
    )

    @field_validator("completions", mode="before")
    @classmethod
    def _one_text(cls, value: Any) -> Any:
        if isinstance(value, str) and value.startswith("["):
            import json

            try:
                return json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError(f"not a JSON list of texts: {exc.msg}") from None
        return [value] if isinstance(value, str) else list(value)


class ScriptedBackend(LLMBackend):
    """Replays ``completions`` in order (or asks ``responder(prompt)`` for each).

    Stop sequences are honoured like a real backend (text is cut at the first
    one and it is not returned), so replayed text may run on past an action the
    way small models do.
    """

    name = "scripted"

    def __init__(self, completions: Iterable[str] = (), **options: Any) -> None:
        """``options``: see :class:`ScriptedOptions`."""
        opts = validate_options(
            ScriptedOptions, {"completions": completions, **options}, where="scripted backend"
        )
        self.completions = opts.completions
        self.responder = opts.responder
        self.prompts: list[str] = []
        self.configs: list[GenerationConfig] = []
        self.grammars: list[str | None] = []
        self.turns: list[PromptTurns | None] = []
        self.context_window = opts.context_window
        self.model_name = opts.model_name
        self.supports_grammar = opts.supports_grammar  # lets tests see when a grammar is passed
        self.accepts_turns = opts.accepts_turns
        self.supports_tools = opts.supports_tools
        self.delay_s = opts.delay_s
        self.skip_in_prompt = opts.skip_in_prompt

    def complete(
        self,
        prompt: str,
        config: GenerationConfig,
        *,
        on_token: TokenCallback | None = None,
        grammar: str | None = None,
        session: str | None = None,
        turns: PromptTurns | None = None,
    ) -> Completion:
        started = time.perf_counter()
        self.prompts.append(prompt)
        self.turns.append(turns)
        self.configs.append(config)
        self.grammars.append(grammar)
        if self.delay_s:
            time.sleep(self.delay_s)
        if self.responder is not None:
            text = self.responder(prompt)
        elif self.completions:
            if self.skip_in_prompt:
                while len(self.completions) > 1 and self.completions[0].strip() in prompt:
                    self.completions.pop(0)
            text = self.completions.pop(0)
        else:
            raise BackendError(
                f"scripted backend has no completion left for call {len(self.prompts)}"
            )
        finish, stop_hit = "stop", None
        cut = [(text.find(s), s) for s in config.stop if s in text]
        if cut:
            index, stop_hit = min(cut)
            text = text[:index]
        words = text.split(" ")
        if len(words) > config.max_new_tokens:
            text, finish = " ".join(words[: config.max_new_tokens]), "length"
        if on_token is not None:
            for i, word in enumerate(text.split(" ")):
                on_token(word if i == 0 else " " + word)
        return Completion(
            text=text,
            finish_reason=finish,
            stop_sequence=stop_hit,
            usage=Usage(
                prompt_tokens=self.count_tokens(prompt),
                prompt_tokens_evaluated=self.count_tokens(prompt),
                completion_tokens=len(text.split()),
            ),
            timings=Timings(total_s=time.perf_counter() - started),
            model=self.model_name,
        )


@hookimpl
def register_backends(register):
    register(
        "scripted",
        ScriptedBackend,
        description="Replays given completions; a test tool for the engine's logic",
        options=ScriptedOptions,
    )
