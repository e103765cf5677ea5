"""Hook implementations of the ``retrievers`` plugin (light: nothing heavy is imported here).

Provides the retrievers ``bm25``, ``dense``, ``hybrid`` (over an index file built by
``agentcore index``), ``sql`` and ``csv`` (rows as documents); the ``retrieve`` tool;
and the ``agentcore index`` / ``agentcore retrieve`` commands.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agentcore.hookspecs import hookimpl


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
    register("bm25", _bm25, description="Lexical BM25 over an index file (index=FILE)")
    register(
        "dense",
        _dense,
        description="all-MiniLM-L6-v2 embeddings, cosine similarity, over an index file",
    )
    register(
        "hybrid",
        _hybrid,
        description="BM25 + dense fused by reciprocal rank fusion (k=60) over an index file",
    )
    register(
        "sql",
        _sql,
        description="Rows of a DuckDB query as documents (database=FILE, query='SELECT ...')",
    )
    register("csv", _csv, description="Rows of a CSV file as documents, ranked by BM25 (path=FILE)")


@hookimpl
def register_tools(register: Callable[..., None]) -> None:
    from agentcore_retrievers.tool import retrieve

    register(retrieve)


@hookimpl
def register_commands(cli: Any) -> None:
    from agentcore_retrievers.cli import index_command, retrieve_command

    cli.add_command(index_command)
    cli.add_command(retrieve_command)
