"""``agentcore index PATH --into DB`` builds an index; ``agentcore retrieve DB QUERY`` queries it.

Kept light at import: duckdb and the embedding model load only when a command runs.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from agentcore_retrievers.chunking import DEFAULT_CHUNK_SIZE, DEFAULT_OVERLAP, UNITS


@click.command("index")
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--into",
    "into",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The index file to write (DuckDB); an earlier index there is replaced.",
)
@click.option(
    "--chunk-size",
    type=click.IntRange(min=1),
    default=DEFAULT_CHUNK_SIZE,
    show_default=True,
    help="Units (words or sentences) per passage.",
)
@click.option(
    "--overlap",
    type=click.IntRange(min=0),
    default=DEFAULT_OVERLAP,
    show_default=True,
    help="Units shared by consecutive passages.",
)
@click.option(
    "--unit",
    type=click.Choice(UNITS),
    default="words",
    show_default=True,
    help="What --chunk-size and --overlap count.",
)
@click.option(
    "--dense/--no-dense",
    default=True,
    show_default=True,
    help="Also embed passages (all-MiniLM-L6-v2) for the dense and hybrid retrievers.",
)
@click.option(
    "--text-field",
    default="text",
    show_default=True,
    help="Field holding the text in .jsonl files.",
)
def index_command(
    path: Path,
    into: Path,
    chunk_size: int,
    overlap: int,
    unit: str,
    dense: bool,
    text_field: str,
) -> None:
    """Index the .txt, .md and .jsonl files under PATH into a DuckDB file for retrieval.

    Symbolic links under PATH are not followed; each one is listed as skipped.
    """
    from agentcore_retrievers.builder import plan_index, write_index
    from agentcore_retrievers.embedding import Embedder

    plan = plan_index(
        path,
        chunk_size=chunk_size,
        overlap=overlap,
        unit=unit,  # type: ignore[arg-type]
        text_field=text_field,
    )
    for skipped in plan.skipped:  # links are never followed: say which were passed over
        click.echo(skipped.describe(), err=True)
    chunks = plan.chunks
    if not chunks:
        raise click.ClickException(f"the files under {path} hold no text to index")
    embedder = Embedder() if dense else None
    if embedder is not None:
        click.echo(f"loading the embedding model {embedder.name} …", err=True)
        embedder.load()
    label = "indexing + embedding" if dense else "indexing"
    with click.progressbar(
        length=len(chunks) * (2 if dense else 1), label=label, show_pos=True
    ) as bar:
        stats = write_index(
            chunks,
            plan.documents,
            into,
            source_root=path,
            chunk_size=chunk_size,
            overlap=overlap,
            unit=unit,  # type: ignore[arg-type]
            embedder=embedder,
            on_progress=bar.update,
        )
    kinds = f"BM25 + dense ({embedder.name}, {embedder.dimension}-d)" if embedder else "BM25 only"
    click.echo(
        f"indexed {stats.documents} documents as {stats.chunks} passages "
        f"({stats.terms} terms; {kinds}) into {stats.path} in {stats.seconds:.1f}s"
    )


@click.command("retrieve")
@click.argument("index", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("query")
@click.option(
    "--retriever",
    "-r",
    "kind",
    default="hybrid",
    show_default=True,
    help="bm25, dense or hybrid (any retriever taking an index).",
)
@click.option("-k", "k", type=click.IntRange(min=1), default=5, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the documents as JSON lines.")
def retrieve_command(index: Path, query: str, kind: str, k: int, as_json: bool) -> None:
    """Show the passages of INDEX that a retriever ranks best for QUERY."""
    from agentcore.plugin import create_provider, for_terminal, json_for_terminal
    from agentcore_retrievers.tool import describe_source

    retriever = create_provider("retriever", kind, index=str(index))
    docs = retriever.retrieve(query, k)
    if not docs:
        click.echo("(no passage matches)")
    for number, doc in enumerate(docs, start=1):
        if as_json:  # passages are untrusted text: shown, never executed (agentcore.untrusted)
            click.echo(json_for_terminal(json.dumps(doc.model_dump(), ensure_ascii=False)))
            continue
        source = for_terminal(describe_source(doc))
        click.secho(f"[{number}] {source}  score {doc.score:.4f}", bold=True)
        click.echo("    " + for_terminal(" ".join(doc.text.split())[:400]))
