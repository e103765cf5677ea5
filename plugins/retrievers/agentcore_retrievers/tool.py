"""The ``retrieve`` tool: a retriever a ReAct agent can call.

Settings (``--set rag.KEY=VALUE`` on the CLI, ``settings={"rag": {...}}`` in
the API): ``index`` (the index file, required), ``retriever`` (``hybrid`` by
default; any registered retriever taking ``index``), ``k`` (passages, 3) and
``chars`` (characters shown per passage, 300).
"""

from __future__ import annotations

import threading
from typing import Any

from agentcore.models import Document, ToolResult
from agentcore.retrievers import Retriever
from agentcore.tools import ToolContext, tool

DEFAULT_RETRIEVER = "hybrid"
DEFAULT_K = 3
DEFAULT_CHARS = 300

_cache: dict[tuple[str, str], Retriever] = {}
_cache_lock = threading.Lock()


def _retriever(mode: str, index: str) -> Retriever:
    """One retriever per (kind, index) per process: the embedding model loads once."""
    from agentcore.plugins import get_plugin_manager

    key = (mode, index)
    with _cache_lock:
        if key not in _cache:
            _cache[key] = get_plugin_manager().create("retriever", mode, index=index)
        return _cache[key]


def format_passages(docs: list[Document], chars: int) -> str:
    """Numbered passages with their sources, one per line, each cut to ``chars``."""
    lines = []
    for number, doc in enumerate(docs, start=1):
        text = " ".join(doc.text.split())
        if len(text) > chars:
            text = text[: max(chars - 1, 0)].rstrip() + "…"
        lines.append(f"[{number}] {describe_source(doc)}: {text}")
    return "\n".join(lines)


def describe_source(doc: Document) -> str:
    """``file, passage n`` for an indexed passage; the source alone otherwise."""
    passage = doc.metadata.get("passage")
    return f"{doc.source}, passage {passage}" if passage is not None else doc.source


def _int_setting(ctx: ToolContext, key: str, default: int) -> int:
    value: Any = ctx.setting("rag", key, default)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"setting rag.{key} must be a whole number, got {value!r}") from None
    if number < 1:
        raise ValueError(f"setting rag.{key} must be at least 1, got {number}")
    return number


@tool(timeout_s=120.0)
def retrieve(query: str, ctx: ToolContext) -> ToolResult:
    """Search the document index and return the most relevant passages with their sources.

    Args:
        query: What to look for, in a few words (names, case numbers, topics).
    """
    index = ctx.setting("rag", "index")
    if not index:
        return ToolResult(
            tool="retrieve",
            ok=False,
            error_kind="not_configured",
            observation=(
                "retrieve has no index configured: set rag.index to an index file "
                "(e.g. --set rag.index=cases.duckdb)"
            ),
        )
    mode = str(ctx.setting("rag", "retriever", DEFAULT_RETRIEVER))
    k = _int_setting(ctx, "k", DEFAULT_K)
    chars = _int_setting(ctx, "chars", DEFAULT_CHARS)
    docs = _retriever(mode, str(index)).retrieve(query, k)
    observation = format_passages(docs, chars) if docs else f"No passage matches {query!r}."
    return ToolResult(
        tool="retrieve",
        ok=True,
        observation=observation,
        data=[doc.model_dump() for doc in docs],
    )
