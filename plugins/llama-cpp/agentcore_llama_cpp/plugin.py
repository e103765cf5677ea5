"""Registers the ``llama-cpp`` backend. Light: llama_cpp is imported when a backend is built."""

from __future__ import annotations

from typing import Any

from agentcore.plugin import hookimpl


def _create(**options: Any):  # validated by LlamaCppOptions before it is called
    from agentcore_llama_cpp.backend import LlamaCppBackend

    return LlamaCppBackend(**options)


@hookimpl
def register_backends(register):
    from agentcore_llama_cpp.options import LlamaCppOptions

    register(
        "llama-cpp",
        _create,
        description="GGUF models in-process via llama-cpp-python (default: qwen2.5-coder-1.5b)",
        options=LlamaCppOptions,
    )
