"""``agentcore run rag "QUESTION" --index DB``: retrieve, augment, answer with citations.

A subcommand of ``run`` (agentcore.cli.commands), which imports it when it is first used.
"""

from __future__ import annotations

from pathlib import Path

import click

from agentcore.cli.commands import (
    _agent_options,
    _generation_options,
    _parse_options,
    _run_agent,
)


@click.command("rag")
@click.argument("question")
@click.option(
    "--index",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Index file built by `agentcore index PATH --into FILE`.",
)
@click.option(
    "--retriever",
    "-r",
    default="hybrid",
    show_default=True,
    help="hybrid, bm25 or dense (or any registered retriever, e.g. sql/csv with -R options).",
)
@click.option(
    "-k",
    "k",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="Passages to retrieve.",
)
@click.option(
    "--retriever-option",
    "-R",
    "retriever_options",
    multiple=True,
    metavar="KEY=VALUE",
    help="Retriever option, e.g. -R path=rows.csv for the csv retriever (repeatable).",
)
@_generation_options
def run_rag(
    question: str,
    index: Path | None,
    retriever: str,
    k: int,
    retriever_options: tuple[str, ...],
    **kwargs,
) -> None:
    """Answer QUESTION from retrieved passages, citing them as [1], [2] (RAG)."""
    from agentcore.rag import RAGAgent

    def build() -> RAGAgent:
        options = _parse_options(retriever_options, "--retriever-option")
        if index is None and "index" not in options and retriever in ("hybrid", "bm25", "dense"):
            raise click.UsageError(
                f"the {retriever} retriever needs --index FILE "
                "(build one with `agentcore index PATH --into FILE`)"
            )
        return RAGAgent(
            retriever=retriever,
            index=index,
            retriever_options=options,
            k=k,
            **_agent_options(dict(kwargs), RAGAgent.default_generation),
        )

    _run_agent(build, question, kwargs, RAGAgent.kind)
