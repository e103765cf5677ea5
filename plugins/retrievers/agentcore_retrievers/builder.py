"""From a folder of documents to an index file: read, chunk, (embed), write.

``agentcore index`` uses the two halves, :func:`plan_index` and
:func:`write_index`, separately (it needs the number of passages for its
progress bar); :func:`index_folder` is both in one call. Either way the
files under the folder are read without following links
(:mod:`agentcore_retrievers.sources`); what was skipped is reported.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from agentcore_retrievers.chunking import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_OVERLAP,
    Chunk,
    Unit,
    check_window,
    chunk_text,
)
from agentcore_retrievers.embedding import Embedder
from agentcore_retrievers.sources import Skipped, read_documents
from agentcore_retrievers.store import IndexStats, build_index


@dataclass(frozen=True)
class IndexPlan:
    """The passages to write, how many documents they came from, and what was not read."""

    chunks: list[Chunk]
    documents: int
    skipped: tuple[Skipped, ...] = field(default_factory=tuple)


def plan_index(
    path: Path,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    overlap: int = DEFAULT_OVERLAP,
    unit: Unit = "words",
    text_field: str = "text",
) -> IndexPlan:
    """The passages of every document under ``path``, how many documents there were, and
    what was skipped (links, which are never followed, and special files)."""
    check_window(chunk_size, overlap)
    chunks: list[Chunk] = []
    documents = 0
    skipped: list[Skipped] = []
    for doc in read_documents(path, text_field=text_field, skipped=skipped):
        documents += 1
        chunks.extend(
            chunk_text(
                doc.text,
                doc_id=doc.id,
                source=doc.source,
                title=doc.title,
                size=chunk_size,
                overlap=overlap,
                unit=unit,
            )
        )
    return IndexPlan(chunks, documents, tuple(skipped))


def index_folder(
    path: Path,
    into: Path,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    overlap: int = DEFAULT_OVERLAP,
    unit: Unit = "words",
    dense: bool = True,
    text_field: str = "text",
    on_progress: Callable[[int], None] | None = None,
) -> IndexStats:
    """Index the .txt/.md/.jsonl files under ``path`` into the DuckDB file ``into``.

    The returned stats list what was skipped (``stats.skipped``).
    """
    plan = plan_index(
        path, chunk_size=chunk_size, overlap=overlap, unit=unit, text_field=text_field
    )
    stats = write_index(
        plan.chunks,
        plan.documents,
        into,
        source_root=Path(path),
        chunk_size=chunk_size,
        overlap=overlap,
        unit=unit,
        embedder=Embedder() if dense else None,
        on_progress=on_progress,
    )
    return dataclasses.replace(stats, skipped=plan.skipped)


def write_index(
    chunks: list[Chunk],
    documents: int,
    into: Path,
    *,
    source_root: Path,
    chunk_size: int,
    overlap: int,
    unit: Unit,
    embedder: Embedder | None,
    on_progress: Callable[[int], None] | None = None,
) -> IndexStats:
    """Write planned passages (and their vectors, with an ``embedder``) to ``into``.

    The chunking settings are recorded in the index so a later query knows how it was built.
    """
    return build_index(
        chunks,
        into,
        documents=documents,
        settings={
            "chunk_size": chunk_size,
            "overlap": overlap,
            "unit": unit,
            "source_root": str(source_root.resolve()),
        },
        embedder=embedder,
        on_progress=on_progress,
    )
