"""The ``transformers`` backend's options (``-o key=value``), light enough for the registry."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt

from agentcore.plugin import Options, PathText

Dtype = Literal["bfloat16", "float32", "float16"]


class TransformersOptions(Options):
    """What :class:`~agentcore_transformers.backend.TransformersBackend` takes."""

    model: PathText | None = Field(
        None,
        description="A model directory, a GGUF file or a name from `agentcore models` "
        "(default: qwen2.5-coder-0.5b).",
    )
    dtype: Dtype = Field("bfloat16", description="Weights' precision.")
    n_threads: PositiveInt | None = Field(None, description="torch CPU threads.")
    n_ctx: PositiveInt | None = Field(
        None, description="Context window (default: the model's max_position_embeddings)."
    )
    cache: bool = Field(True, description="Keep a GGUF file converted to a model directory.")
