"""Retrievers over an index file: ``bm25`` (lexical), ``dense`` and ``hybrid`` (both, fused).

Each opens the index read-only and reopens it if the file was rebuilt since.
Hybrid ranking is reciprocal rank fusion: a passage's score is the sum over the
rankings it appears in of 1 / (k + rank), with k = 60 (Cormack et al., 2009), so
a passage both retrievers like beats one only a single retriever ranks first,
and neither retriever's raw score scale matters.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from agentcore.models import Document
from agentcore.plugin import ConfigError, Retriever, validate_options
from agentcore_retrievers.embedding import Embedder
from agentcore_retrievers.options import RRF_K, HybridOptions
from agentcore_retrievers.store import IndexReader

H = TypeVar("H", bound=Hashable)


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[H]], k: int = RRF_K, weights: Sequence[float] | None = None
) -> list[tuple[H, float]]:
    """Fuse best-first rankings: score(d) = Σ w/(k + rank of d), ranks from 1; best first.

    ``weights`` (one per ranking, default all 1) let one retriever count more.
    Ties keep the order in which items were first seen (earlier rankings first).
    """
    if k < 0:
        raise ConfigError(f"the RRF constant k must be 0 or more, got {k}")
    weights = [1.0] * len(rankings) if weights is None else list(weights)
    if len(weights) != len(rankings) or any(w < 0 for w in weights):
        raise ConfigError("RRF needs one non-negative weight per ranking")
    scores: dict[H, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    order = {item: i for i, item in enumerate(scores)}
    return sorted(scores.items(), key=lambda pair: (-pair[1], order[pair[0]]))


class _IndexRetriever(Retriever):
    """Holds a read-only reader, reopened when the index file changes on disk."""

    def __init__(self, index: str | os.PathLike[str] | None = None) -> None:
        if index is None or not str(index).strip():
            raise ConfigError(
                f"the {self.name} retriever needs an index: pass index=PATH "
                "(CLI: --index FILE; tool: --set rag.index=FILE)"
            )
        self.path = Path(index).expanduser()
        self._reader: IndexReader | None = None
        self._stamp: tuple[int, int] | None = None
        self._lock = threading.Lock()
        self.reader()  # fail now, with a clear message, if the file is missing or not an index

    def reader(self) -> IndexReader:
        """The open index, checked to be the file now on disk."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            stamp = None
        else:
            stamp = (stat.st_ino, stat.st_mtime_ns)
        if self._reader is None or stamp != self._stamp:
            if self._reader is not None:
                self._reader.close()
                self._reader = None
            self._reader = IndexReader(self.path)
            self._stamp = stamp
        return self._reader

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def retrieve(self, query: str, k: int = 5) -> list[Document]:
        if k < 1:
            raise ConfigError(f"k must be at least 1, got {k}")
        with self._lock:  # one DuckDB connection: serialise queries on it
            reader = self.reader()
            return reader.documents(self._rank(reader, query, k), self.name)

    def _rank(self, reader: IndexReader, query: str, k: int) -> list[tuple[int, float]]:
        raise NotImplementedError


class BM25Retriever(_IndexRetriever):
    """Lexical ranking (BM25) of the index's passages."""

    name = "bm25"

    def _rank(self, reader: IndexReader, query: str, k: int) -> list[tuple[int, float]]:
        return reader.bm25(query, k)


class DenseRetriever(_IndexRetriever):
    """Passages nearest to the query in all-MiniLM-L6-v2 embedding space (cosine)."""

    name = "dense"

    def __init__(
        self, index: str | os.PathLike[str] | None = None, *, model_path: str | None = None
    ) -> None:
        super().__init__(index)
        self.embedder = Embedder(model_path)

    def _rank(self, reader: IndexReader, query: str, k: int) -> list[tuple[int, float]]:
        if not reader.has_embeddings:  # say so before loading a model for nothing
            return reader.nearest([], k)
        return reader.nearest(self.embedder.encode([query])[0].tolist(), k)


class HybridRetriever(_IndexRetriever):
    """BM25 and dense rankings fused by reciprocal rank fusion.

    ``depth`` is how many candidates each side contributes (at least ``k``);
    ``lexical_weight`` scales the BM25 side's contribution (1 = plain RRF; more
    favours exact matches such as case numbers, which embeddings barely see).
    """

    name = "hybrid"

    def __init__(self, index: str | os.PathLike[str] | None = None, **options: Any) -> None:
        """``options``: see :class:`~agentcore_retrievers.options.HybridOptions`."""
        opts = validate_options(HybridOptions, options, where="hybrid retriever")
        super().__init__(index)
        self.rrf_k = opts.rrf_k
        self.depth = opts.depth
        self.lexical_weight = opts.lexical_weight
        self.embedder = Embedder(opts.model_path)

    def _rank(self, reader: IndexReader, query: str, k: int) -> list[tuple[int, float]]:
        depth = max(k, self.depth)
        lexical = [cid for cid, _ in reader.bm25(query, depth)]
        if not reader.has_embeddings:
            reader.nearest([], k)  # raises the "rebuild with --dense" error
        vector = self.embedder.encode([query])[0].tolist()
        dense = [cid for cid, _ in reader.nearest(vector, depth)]
        fused = reciprocal_rank_fusion([lexical, dense], self.rrf_k, [self.lexical_weight, 1.0])
        return fused[:k]
