"""Options of the retrievers (``-R key=value`` on the CLI) and the ``rag`` settings section.

Light enough for the registry: pydantic only. The index retrievers' messages for a missing
index, and the row retrievers' for a missing file, stay with the retrievers (they say how
to build one).
"""

from __future__ import annotations

from pydantic import Field, NonNegativeFloat, NonNegativeInt, PositiveInt

from agentcore.plugin import Options, PathText

#: Reciprocal rank fusion's constant (Cormack et al., 2009).
RRF_K = 60


class IndexOptions(Options):
    """``bm25``: an index file built by ``agentcore index``."""

    index: PathText | None = Field(
        None, description="The index file (`agentcore index PATH --into FILE`)."
    )


class DenseOptions(IndexOptions):
    """``dense``: the index, and where the embedding model is."""

    model_path: PathText | None = Field(
        None, description="A local all-MiniLM-L6-v2 directory (default: the pinned one)."
    )


class HybridOptions(DenseOptions):
    """``hybrid``: BM25 and dense fused by reciprocal rank fusion."""

    rrf_k: NonNegativeInt = Field(RRF_K, description="RRF constant k in 1 / (k + rank).")
    depth: PositiveInt = Field(30, description="Candidates each side contributes (at least k).")
    lexical_weight: NonNegativeFloat = Field(
        1.0, description="Weight of the BM25 side (1 = plain RRF; more favours exact matches)."
    )


class RowOptions(Options):
    """Columns of the rows that become documents."""

    text_columns: str | list[str] | None = Field(
        None, description="Columns forming the text, 'a,b' (default: all)."
    )
    id_column: str | None = Field(None, description="Column holding the id (default: row number).")
    title_column: str | None = Field(None, description="Column holding a title.")


class SqlOptions(RowOptions):
    """``sql``: rows of a DuckDB query."""

    database: PathText | None = Field(None, description="The DuckDB file (opened read-only).")
    query: str | None = Field(None, description="SELECT ...; may use $query and $k.")


class CsvOptions(RowOptions):
    """``csv``: rows of a CSV file with a header line."""

    path: PathText | None = Field(None, description="The CSV file.")
    delimiter: str = Field(",", min_length=1, max_length=1, description="Field separator.")


class RagToolSettings(Options):
    """``settings["rag"]``: what the ``retrieve`` tool searches and shows."""

    index: PathText | None = Field(None, description="The index file (required by the tool).")
    retriever: str = Field(
        "hybrid", description="A registered retriever taking index= (bm25, dense, hybrid)."
    )
    k: PositiveInt = Field(3, description="Passages returned.")
    chars: PositiveInt = Field(300, description="Characters shown per passage.")
