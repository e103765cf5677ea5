"""Registers the ``openai`` backend (an OpenAI-compatible HTTP client; standard library only)."""

from __future__ import annotations

from typing import Any

from agentcore.plugin import hookimpl


def _create(**options: Any):
    from agentcore_openai.backend import OpenAIBackend

    return OpenAIBackend(**options)


@hookimpl
def register_backends(register):
    from agentcore_openai.options import OpenAIOptions

    register(
        "openai",
        _create,
        description="any OpenAI-compatible server (vLLM, TGI, Ollama, llama.cpp): "
        "-o base_url=http://HOST:PORT/v1",
        options=OpenAIOptions,
    )
