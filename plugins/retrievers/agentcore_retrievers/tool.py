"""The ``retrieve`` tool: a retriever a ReAct agent can call.

Settings (``--set rag.KEY=VALUE`` on the CLI, ``settings={"rag": {...}}`` in
the API) are :class:`~agentcore_retrievers.options.RagToolSettings`: ``index``
(required), ``retriever``, ``k`` and ``chars``.
"""

from __future__ import annotations

import threading

from agentcore.models import Document, ToolResult
from agentcore.plugin import Retriever, ToolContext, create_provider, read_settings_section, tool
from agentcore_retrievers.options import RagToolSettings

_cache: dict[tuple[str, str], Retriever] = {}
_cache_lock = threading.Lock()


def _retriever(mode: str, index: str) -> Retriever:
    """One retriever per (kind, index) per process: the embedding model loads once."""
    key = (mode, index)
    with _cache_lock:
        if key not in _cache:
            _cache[key] = create_provider("retriever", mode, index=index)
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


@tool(timeout_s=120.0)
def retrieve(query: str, ctx: ToolContext) -> ToolResult:
    """Search the document index and return the most relevant passages with their sources.

    Args:
        query: What to look for, in a few words (names, case numbers, topics).
    """
    settings = read_settings_section(ctx.settings, "rag", RagToolSettings)
    if not settings.index:
        return ToolResult(
            tool="retrieve",
            ok=False,
            error_kind="not_configured",
            observation=(
                "retrieve has no index configured: set rag.index to an index file "
                "(e.g. --set rag.index=cases.duckdb)"
            ),
        )
    docs = _retriever(settings.retriever, settings.index).retrieve(query, settings.k)
    if docs:
        observation = format_passages(docs, settings.chars)
    else:
        observation = f"No passage matches {query!r}."
    return ToolResult(
        tool="retrieve",
        ok=True,
        observation=observation,
        data=[doc.model_dump() for doc in docs],
    )
