"""Hook implementations of the ``retrievers`` plugin (light: nothing heavy is imported here).

Provides the retrievers ``bm25``, ``dense``, ``hybrid`` (over an index file built by
``agentcore index``), ``sql`` and ``csv`` (rows as documents); the ``retrieve`` tool;
and (declared in the ``agentcore.commands`` entry points, imported when used) the
``agentcore index`` / ``agentcore retrieve`` commands.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agentcore.plugin import hookimpl


def _bm25(**options: Any) -> Any:
    from agentcore_retrievers.index_retrievers import BM25Retriever

    return BM25Retriever(**options)


def _dense(**options: Any) -> Any:
    from agentcore_retrievers.index_retrievers import DenseRetriever

    return DenseRetriever(**options)


def _hybrid(**options: Any) -> Any:
    from agentcore_retrievers.index_retrievers import HybridRetriever

    return HybridRetriever(**options)


def _sql(**options: Any) -> Any:
    from agentcore_retrievers.tabular import SqlRetriever

    return SqlRetriever(**options)


def _csv(**options: Any) -> Any:
    from agentcore_retrievers.tabular import CsvRetriever

    return CsvRetriever(**options)


@hookimpl
def register_retrievers(register: Callable[..., None]) -> None:
    from agentcore_retrievers import options

    register(
        "bm25",
        _bm25,
        description="Lexical BM25 over an index file (index=FILE)",
        options=options.IndexOptions,
    )
    register(
        "dense",
        _dense,
        description="all-MiniLM-L6-v2 embeddings, cosine similarity, over an index file",
        options=options.DenseOptions,
    )
    register(
        "hybrid",
        _hybrid,
        description="BM25 + dense fused by reciprocal rank fusion (k=60) over an index file",
        options=options.HybridOptions,
    )
    register(
        "sql",
        _sql,
        description="Rows of a DuckDB query as documents (database=FILE, query='SELECT ...')",
        options=options.SqlOptions,
    )
    register(
        "csv",
        _csv,
        description="Rows of a CSV file as documents, ranked by BM25 (path=FILE)",
        options=options.CsvOptions,
    )


@hookimpl
def register_tools(register: Callable[..., None]) -> None:
    from agentcore_retrievers.tool import retrieve

    register(retrieve)


@hookimpl
def register_settings(register: Callable[..., None]) -> None:
    from agentcore_retrievers.options import RagToolSettings

    register("rag", RagToolSettings, description="the retrieve tool's index and limits")
