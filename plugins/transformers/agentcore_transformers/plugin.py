"""Registers the ``transformers`` backend. Light: torch and transformers load when it is built."""

from __future__ import annotations

from typing import Any

from agentcore.plugin import BackendError, hookimpl


def _create(**options: Any):
    try:
        from agentcore_transformers.backend import TransformersBackend
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise BackendError(
            f"the transformers backend needs torch and transformers ({exc}); "
            "run `make setup` or pip install agentcore-transformers"
        ) from exc
    return TransformersBackend(**options)


@hookimpl
def register_backends(register):
    from agentcore_transformers.options import TransformersOptions

    register(
        "transformers",
        _create,
        description="causal LMs on the CPU via transformers: a model directory or a GGUF file "
        "(default: qwen2.5-coder-0.5b)",
        options=TransformersOptions,
    )
