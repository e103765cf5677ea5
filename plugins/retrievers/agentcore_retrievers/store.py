"""The index file: passages, BM25 postings and embeddings in one DuckDB database.

Everything a retriever needs is in the file, so an index survives restarts and
can be copied to another machine. BM25 is scored by DuckDB itself from the
postings (Lucene's variant, as in ``bm25s``: idf = ln(1 + (N - df + .5)/(df + .5)),
term weight tf / (tf + k1·(1 - b + b·len/avglen))); dense search is
``array_cosine_similarity`` over FLOAT[384] vectors.

An index is built into a temporary file and renamed into place at the end, so
an interrupted build never leaves a half-written index behind.
"""

from __future__ import annotations

import math
import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentcore.models import Document
from agentcore.plugin import ConfigError
from agentcore_retrievers.chunking import Chunk
from agentcore_retrievers.embedding import Embedder
from agentcore_retrievers.tokenize import tokenize

SCHEMA_VERSION = "1"
BM25_K1 = 1.5
BM25_B = 0.75
WRITE_BATCH = 256

_SCHEMA = """
CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
CREATE TABLE chunks (
    chunk_id INTEGER PRIMARY KEY, doc_id VARCHAR NOT NULL, source VARCHAR NOT NULL,
    title VARCHAR, passage INTEGER NOT NULL, start_char INTEGER NOT NULL,
    end_char INTEGER NOT NULL, text VARCHAR NOT NULL, n_terms INTEGER NOT NULL
);
CREATE TABLE postings (term VARCHAR NOT NULL, chunk_id INTEGER NOT NULL, tf INTEGER NOT NULL);
CREATE TABLE terms (term VARCHAR PRIMARY KEY, df INTEGER NOT NULL, idf DOUBLE NOT NULL);
"""


def indexed_text(chunk: Chunk) -> str:
    """What is tokenized and embedded: the passage, led by its document's title.

    A later passage of a document does not repeat the heading that names it
    (a case number, a product); carrying the title lets it still be found.
    """
    if chunk.title and chunk.title not in chunk.text:
        return f"{chunk.title}\n{chunk.text}"
    return chunk.text


@dataclass(frozen=True)
class IndexStats:
    """What a build wrote."""

    path: str
    documents: int
    chunks: int
    terms: int
    dense: bool
    seconds: float
    skipped: tuple[Any, ...] = ()  # sources.Skipped: what the folder held but was not read


# --- writing -----------------------------------------------------------------------------


def create_schema(con: Any, *, dense: bool, dimension: int) -> None:
    con.execute(_SCHEMA)
    if dense:
        con.execute(
            f"CREATE TABLE embeddings (chunk_id INTEGER PRIMARY KEY, vector FLOAT[{dimension}] "
            "NOT NULL)"
        )


def write_lexical(
    con: Any, chunks: Sequence[Chunk], on_progress: Callable[[int], None] | None = None
) -> int:
    """Write passages and their BM25 postings and statistics; the number of distinct terms."""
    df: Counter[str] = Counter()
    total_terms = 0
    for first in range(0, len(chunks), WRITE_BATCH):
        batch = chunks[first : first + WRITE_BATCH]
        rows: dict[str, list[Any]] = {k: [] for k in ("cid", "doc", "src", "title", "p", "s", "e")}
        rows.update(text=[], n=[], pterm=[], pcid=[], ptf=[])
        for offset, chunk in enumerate(batch):
            cid = first + offset
            counts = Counter(tokenize(indexed_text(chunk)))
            df.update(counts.keys())
            n_terms = sum(counts.values())
            total_terms += n_terms
            for key, value in zip(
                ("cid", "doc", "src", "title", "p", "s", "e", "text", "n"),
                (cid, chunk.doc_id, chunk.source, chunk.title, chunk.passage, chunk.start,
                 chunk.end, chunk.text, n_terms),
                strict=True,
            ):  # fmt: skip
                rows[key].append(value)
            for term, tf in counts.items():
                rows["pterm"].append(term)
                rows["pcid"].append(cid)
                rows["ptf"].append(tf)
        con.execute(
            "INSERT INTO chunks SELECT unnest($cid), unnest($doc), unnest($src), unnest($title), "
            "unnest($p), unnest($s), unnest($e), unnest($text), unnest($n)",
            {k: rows[k] for k in ("cid", "doc", "src", "title", "p", "s", "e", "text", "n")},
        )
        if rows["pterm"]:
            con.execute(
                "INSERT INTO postings SELECT unnest($t), unnest($c), unnest($f)",
                {"t": rows["pterm"], "c": rows["pcid"], "f": rows["ptf"]},
            )
        if on_progress is not None:
            on_progress(len(batch))
    n = len(chunks)
    if df:
        terms = list(df)
        con.execute(
            "INSERT INTO terms SELECT unnest($t), unnest($d), unnest($i)",
            {
                "t": terms,
                "d": [df[t] for t in terms],
                "i": [math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)) for t in terms],
            },
        )
    avg = total_terms / n if n else 0.0
    _set_meta(con, chunks=n, avg_terms=avg, bm25_k1=BM25_K1, bm25_b=BM25_B)
    return len(df)


def write_embeddings(
    con: Any,
    chunks: Sequence[Chunk],
    embedder: Embedder,
    on_progress: Callable[[int], None] | None = None,
) -> None:
    """Embed every passage (with its title) and store the vectors."""
    texts = [indexed_text(c) for c in chunks]
    for first in range(0, len(texts), WRITE_BATCH):
        vectors = embedder.encode(texts[first : first + WRITE_BATCH], on_batch=on_progress)
        con.execute(
            f"INSERT INTO embeddings SELECT unnest($i), unnest($v)::FLOAT[{embedder.dimension}]",
            {"i": list(range(first, first + len(vectors))), "v": vectors.tolist()},
        )
    _set_meta(con, embedding_model=embedder.name, embedding_dimension=embedder.dimension)


def _set_meta(con: Any, **values: Any) -> None:
    for key, value in values.items():
        con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, str(value)])


def build_index(
    chunks: Sequence[Chunk],
    into: Path,
    *,
    documents: int,
    settings: dict[str, Any],
    embedder: Embedder | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> IndexStats:
    """Write a new index file at ``into`` (replacing an earlier index there).

    ``on_progress(n)`` is called as passages are written and again as they are
    embedded (so a progress bar over ``2 × len(chunks)`` — or ``len(chunks)``
    without embeddings — ends full).
    """
    import duckdb

    started = time.perf_counter()
    into = Path(into)
    _check_replaceable(into)
    if not into.parent.is_dir():
        raise ConfigError(f"cannot write {str(into)!r}: folder {str(into.parent)!r} does not exist")
    temporary = into.with_name(into.name + ".building")
    for stale in (temporary, Path(f"{temporary}.wal")):
        stale.unlink(missing_ok=True)
    try:
        con = duckdb.connect(str(temporary))
        try:
            dimension = embedder.dimension if embedder is not None else 0
            create_schema(con, dense=embedder is not None, dimension=dimension)
            n_terms = write_lexical(con, chunks, on_progress)
            if embedder is not None:
                write_embeddings(con, chunks, embedder, on_progress)
            _set_meta(
                con,
                schema_version=SCHEMA_VERSION,
                documents=documents,
                built_at=time.strftime("%Y-%m-%dT%H:%M:%S"),
                **settings,
            )
            con.execute("CHECKPOINT")
        finally:
            con.close()
        Path(f"{into}.wal").unlink(missing_ok=True)
        os.replace(temporary, into)
    finally:
        temporary.unlink(missing_ok=True)
    return IndexStats(
        str(into), documents, len(chunks), n_terms, embedder is not None,
        time.perf_counter() - started,
    )  # fmt: skip


def _check_replaceable(into: Path) -> None:
    """Only an earlier agentcore index may be overwritten, never some other file."""
    if not into.exists():
        return
    if into.is_dir():
        raise ConfigError(f"--into {str(into)!r} is a folder; give a file name like index.duckdb")
    try:
        IndexReader(into).close()
    except ConfigError:
        raise ConfigError(
            f"{str(into)!r} exists and is not an agentcore index; refusing to overwrite it "
            "(choose another --into path, or delete the file)"
        ) from None


# --- reading -----------------------------------------------------------------------------


class IndexReader:
    """Read-only access to an index file (or an in-memory connection already filled)."""

    def __init__(self, path: Path | str, *, connection: Any = None) -> None:
        self.path = Path(path)
        if connection is None:
            connection = self._open(self.path)
        self.con = connection
        try:
            rows = self.con.execute("SELECT key, value FROM meta").fetchall()
        except Exception:
            self.con.close()
            raise ConfigError(
                f"{str(self.path)!r} is not an agentcore index (no meta table); "
                "build one with `agentcore index PATH --into FILE`"
            ) from None
        self.meta: dict[str, str] = dict(rows)
        version = self.meta.get("schema_version")
        if version != SCHEMA_VERSION:
            self.con.close()
            raise ConfigError(
                f"index {str(self.path)!r} has schema version {version}, this plugin reads "
                f"{SCHEMA_VERSION}; rebuild it with `agentcore index`"
            )

    @staticmethod
    def _open(path: Path) -> Any:
        import duckdb

        if not path.is_file():
            raise ConfigError(
                f"index {str(path)!r} does not exist; build it with "
                f"`agentcore index PATH --into {path}`"
            )
        try:
            return duckdb.connect(str(path), read_only=True)
        except duckdb.Error as exc:
            raise ConfigError(f"cannot open index {str(path)!r}: {exc}") from None

    def close(self) -> None:
        self.con.close()

    @property
    def has_embeddings(self) -> bool:
        return "embedding_model" in self.meta

    @property
    def chunk_count(self) -> int:
        return int(self.meta.get("chunks", 0))

    def bm25(self, query: str, k: int) -> list[tuple[int, float]]:
        """(chunk id, BM25 score) of the ``k`` best passages having any query term."""
        terms = tokenize(query)
        if not terms or k < 1:
            return []
        k1 = float(self.meta.get("bm25_k1", BM25_K1))
        b = float(self.meta.get("bm25_b", BM25_B))
        avg = float(self.meta.get("avg_terms", 1.0)) or 1.0
        rows = self.con.execute(
            """
            WITH q AS (SELECT term, count(*) AS qtf FROM (SELECT unnest($terms) AS term)
                       GROUP BY term)
            SELECT p.chunk_id,
                   sum(q.qtf * t.idf * p.tf / (p.tf + $k1 * (1 - $b + $b * c.n_terms / $avg)))
                       AS score
            FROM q JOIN terms t USING (term) JOIN postings p USING (term)
                   JOIN chunks c ON c.chunk_id = p.chunk_id
            GROUP BY p.chunk_id
            ORDER BY score DESC, p.chunk_id
            LIMIT $k
            """,
            {"terms": terms, "k1": k1, "b": b, "avg": avg, "k": k},
        ).fetchall()
        return [(int(cid), float(score)) for cid, score in rows]

    def nearest(self, vector: Sequence[float], k: int) -> list[tuple[int, float]]:
        """(chunk id, cosine similarity) of the ``k`` passages nearest to ``vector``."""
        if not self.has_embeddings:
            raise ConfigError(
                f"index {str(self.path)!r} has no embeddings (built with --no-dense); rebuild it "
                "with `agentcore index PATH --into FILE --dense` or use the bm25 retriever"
            )
        dimension = int(self.meta["embedding_dimension"])
        if len(vector) != dimension:
            raise ConfigError(
                f"query vector has {len(vector)} dimensions, the index stores {dimension}"
            )
        rows = self.con.execute(
            f"""
            SELECT chunk_id, array_cosine_similarity(vector, $v::FLOAT[{dimension}]) AS score
            FROM embeddings ORDER BY score DESC, chunk_id LIMIT $k
            """,
            {"v": list(map(float, vector)), "k": k},
        ).fetchall()
        return [(int(cid), float(score)) for cid, score in rows]

    def documents(self, scored: Sequence[tuple[int, float]], retriever: str) -> list[Document]:
        """The passages behind ``scored`` chunk ids, in that order, as Documents."""
        if not scored:
            return []
        ids = [cid for cid, _ in scored]
        rows = self.con.execute(
            "SELECT chunk_id, doc_id, source, title, passage, start_char, end_char, text "
            "FROM chunks WHERE chunk_id IN (SELECT unnest($ids))",
            {"ids": ids},
        ).fetchall()
        by_id = {row[0]: row for row in rows}
        out = []
        for cid, score in scored:
            _, doc_id, source, title, passage, start, end, text = by_id[cid]
            out.append(
                Document(
                    id=f"{doc_id}#p{passage}",
                    text=text,
                    source=source,
                    title=title,
                    score=score,
                    metadata={
                        "doc_id": doc_id,
                        "passage": passage,
                        "start": start,
                        "end": end,
                        "chunk_id": cid,
                        "retriever": retriever,
                    },
                )
            )
        return out
