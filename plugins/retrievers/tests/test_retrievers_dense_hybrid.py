"""Dense retrieval with the real all-MiniLM-L6-v2 model, and hybrid reciprocal rank fusion."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from agentcore_retrievers.embedding import Embedder
from agentcore_retrievers.index_retrievers import (
    BM25Retriever,
    DenseRetriever,
    HybridRetriever,
    reciprocal_rank_fusion,
)
from agentcore_retrievers.store import IndexReader, indexed_text

from agentcore.errors import ConfigError

# No word of this question (after stopwords) appears in any case file: only meaning can find it.
PARAPHRASE = "a worker who blew the whistle on understaffing got sacked"


def test_dense_ranks_a_paraphrase_that_shares_no_word_with_the_answer(legal_index: Path) -> None:
    assert BM25Retriever(legal_index).retrieve(PARAPHRASE, k=5) == []
    docs = DenseRetriever(legal_index).retrieve(PARAPHRASE, k=3)
    assert docs[0].metadata["doc_id"] == "2023-CV-0904.md"  # the nurse dismissed after reporting
    assert docs[0].metadata["retriever"] == "dense"
    assert 0.0 < docs[0].score <= 1.0 and docs[0].score >= docs[1].score >= docs[2].score


def test_stored_vectors_are_the_model_embeddings_of_the_passages(legal_index: Path) -> None:
    reader = IndexReader(legal_index)
    try:
        rows = reader.con.execute(
            "SELECT c.doc_id, c.source, c.title, c.passage, c.start_char, c.end_char, c.text, "
            "e.vector FROM chunks c JOIN embeddings e USING (chunk_id) ORDER BY chunk_id LIMIT 3"
        ).fetchall()
        assert reader.meta["embedding_model"] == "all-MiniLM-L6-v2"
    finally:
        reader.close()
    from agentcore_retrievers.chunking import Chunk

    chunks = [Chunk(*row[:7]) for row in rows]
    stored = np.array([row[7] for row in rows], dtype=np.float32)
    fresh = Embedder().encode([indexed_text(c) for c in chunks])
    assert stored.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(stored, axis=1), 1.0, atol=1e-4)
    np.testing.assert_allclose(stored, fresh, atol=1e-4)


def test_rrf_fusion_math_on_known_rankings() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["c", "a", "d"]], k=60)
    assert [item for item, _ in fused] == ["a", "c", "b", "d"]
    scores = dict(fused)
    assert scores["a"] == pytest.approx(1 / 61 + 1 / 62)
    assert scores["c"] == pytest.approx(1 / 63 + 1 / 61)
    assert scores["b"] == pytest.approx(1 / 62)
    assert scores["d"] == pytest.approx(1 / 63)
    # k sets the balance: y (2nd and 3rd) beats x (1st once) with k=60, loses with k=0
    rankings = [["x", "y"], ["z", "w", "y"]]
    assert reciprocal_rank_fusion(rankings, k=60)[0][0] == "y"
    assert [item for item, _ in reciprocal_rank_fusion(rankings, k=0)][:3] == ["x", "z", "y"]
    # ties keep first-seen order; weights scale one ranking's votes
    assert reciprocal_rank_fusion([["p"], ["q"]]) == [("p", 1 / 61), ("q", 1 / 61)]
    weighted = reciprocal_rank_fusion([["p"], ["q"]], weights=[1.0, 2.0])
    assert weighted == [("q", pytest.approx(2 / 61)), ("p", pytest.approx(1 / 61))]
    with pytest.raises(ConfigError):
        reciprocal_rank_fusion([["p"]], weights=[1.0, 1.0])


def test_hybrid_is_the_rrf_of_the_lexical_and_dense_rankings(legal_index: Path) -> None:
    query = "Which insurer refused to pay for the flooded bookshop?"
    lexical = [d.metadata["chunk_id"] for d in BM25Retriever(legal_index).retrieve(query, 30)]
    dense = [d.metadata["chunk_id"] for d in DenseRetriever(legal_index).retrieve(query, 30)]
    expected = reciprocal_rank_fusion([lexical, dense], k=60)[:5]
    docs = HybridRetriever(legal_index, depth=30).retrieve(query, k=5)
    assert [(d.metadata["chunk_id"], d.score) for d in docs] == [
        (cid, pytest.approx(score)) for cid, score in expected
    ]
    assert docs[0].metadata["doc_id"] == "2024-CV-0412.md"


def test_dense_and_hybrid_refuse_an_index_without_embeddings(lexical_index: Path) -> None:
    for retriever in (DenseRetriever(lexical_index), HybridRetriever(lexical_index)):
        with pytest.raises(ConfigError, match="--dense"):
            retriever.retrieve("anything", k=3)
