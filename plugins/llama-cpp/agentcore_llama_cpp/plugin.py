"""Registers the ``llama-cpp`` backend. Light: llama_cpp is imported when a backend is built."""

from __future__ import annotations

from typing import Any

from agentcore.hookspecs import hookimpl


def _create(**options: Any):
    from agentcore_llama_cpp.backend import LlamaCppBackend

    return LlamaCppBackend(**options)


@hookimpl
def register_backends(register):
    register(
        "llama-cpp",
        _create,
        description="GGUF models in-process via llama-cpp-python (default: qwen2.5-coder-1.5b)",
    )
