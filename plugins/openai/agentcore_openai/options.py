"""The ``openai`` backend's options (``-o key=value``), light enough for the registry."""

from __future__ import annotations

from typing import Literal

from pydantic import (
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    model_validator,
)

from agentcore.plugin import Options

DEFAULT_BASE_URL = "http://127.0.0.1:8000/v1"


class OpenAIOptions(Options):
    """What :class:`~agentcore_openai.backend.OpenAIBackend` takes."""

    model: str | None = Field(
        None, description="The served model's id (default: the only one the server lists)."
    )
    base_url: str = Field(DEFAULT_BASE_URL, description="The server's OpenAI API root.")
    api_key: str | None = Field(
        None,
        repr=False,
        description="Bearer key (default: $AGENTCORE_OPENAI_API_KEY or $OPENAI_API_KEY).",
    )
    context_window: PositiveInt | None = Field(
        None, description="Tokens the model sees (default: from /models, else 4096)."
    )
    n_ctx: PositiveInt | None = Field(None, description="Same as context_window.")
    params: Literal["auto", "extended", "standard"] = Field(
        "auto",
        description="extended: also send top_k and neutralise server-side samplers; "
        "standard: OpenAI's fields only; auto: extended for llama.cpp, llama-cpp-python and "
        "vLLM servers (told by their /models listing), standard for any other.",
    )
    api: Literal["auto", "completions", "chat"] = Field(
        "auto",
        description="completions: the loops' text prompts via /completions; chat: the same "
        "transcripts as messages via /chat/completions (chat-only hosted models); auto: "
        "completions, switching to chat when the server has no /completions for the model.",
    )
    timeout: PositiveFloat = Field(600.0, description="Seconds to wait for a response.")
    connect_timeout: PositiveFloat = Field(10.0, description="Seconds to wait to connect.")
    max_retries: NonNegativeInt = Field(3, description="Retries of a failed request.")
    backoff: NonNegativeFloat = Field(0.5, description="First wait between retries, seconds.")
    grammar: Literal["off", "gbnf"] = Field(
        "off",
        description="gbnf: send the ReAct grammar (llama.cpp and llama-cpp-python servers).",
    )

    @model_validator(mode="after")
    def _grammar_needs_extended(self) -> OpenAIOptions:
        if self.grammar == "gbnf" and self.params == "standard":
            raise ValueError(
                "grammar=gbnf sends a field outside OpenAI's API, which params=standard "
                "promises not to do; use params=extended"
            )
        return self
