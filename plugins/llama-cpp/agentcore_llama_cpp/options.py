"""The ``llama-cpp`` backend's options (``-o key=value``), light enough for the registry."""

from __future__ import annotations

from pydantic import Field, PositiveInt

from agentcore.plugin import Options, PathText


class LlamaCppOptions(Options):
    """What :class:`~agentcore_llama_cpp.backend.LlamaCppBackend` takes."""

    model: PathText | None = Field(
        None, description="A name from `agentcore models` or a path to a GGUF file."
    )
    n_ctx: PositiveInt = Field(4096, description="Context window in tokens.")
    n_threads: PositiveInt | None = Field(None, description="CPU threads (default: all cores).")
    n_batch: PositiveInt = Field(512, description="Prompt tokens evaluated per batch.")
    verbose: bool = Field(False, description="Let llama.cpp log to stderr.")
