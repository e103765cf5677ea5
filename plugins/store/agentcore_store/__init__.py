"""agentcore-store: runs, steps, LLM calls, tool calls and feedback in one DuckDB file.

The plugin listens to the engine's event hooks (see :mod:`agentcore_store.plugin`),
buffers a run in memory and writes it in one transaction when it ends. The
``agentcore runs``, ``agentcore feedback`` and ``agentcore export`` commands read
the same file. Nothing here imports duckdb until a run is stored or read.
"""

from agentcore_store.config import STORE_ENV, store_path

__all__ = ["STORE_ENV", "store_path"]
