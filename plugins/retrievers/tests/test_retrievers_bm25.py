"""Lexical retrieval: the tokenizer, BM25 scores (checked against bm25s) and ranking."""

from __future__ import annotations

from pathlib import Path

import pytest
from agentcore_retrievers.chunking import Chunk
from agentcore_retrievers.index_retrievers import BM25Retriever
from agentcore_retrievers.store import IndexReader, build_index
from agentcore_retrievers.tokenize import tokenize

from agentcore.plugins import get_plugin_manager

CORPUS = [
    "The cat sat on the mat while the other cat slept.",
    "Dogs chase cats; a dog sleeps on the log by the river bank.",
    "The bank raised interest rates on savings accounts.",
    "River otters and beavers build dams across the river.",
    "Interest in cats and dogs as pets keeps growing every year.",
]


def test_tokenizer_keeps_identifiers_whole_and_split() -> None:
    assert tokenize("Who is the plaintiff in case 2023-CV-0412?") == [
        "plaintiff",
        "case",
        "2023-cv-0412",
        "2023",
        "cv",
        "0412",
    ]
    assert tokenize("Plaintiffs' companies and classes") == ["plaintiff", "company", "class"]
    assert tokenize("Bus, gas and glass") == ["bus", "gas", "glass"]  # no stemming damage


def _corpus_index(tmp_path: Path) -> Path:
    chunks = [Chunk(f"d{i}", f"d{i}.txt", None, 1, 0, len(t), t) for i, t in enumerate(CORPUS)]
    path = tmp_path / "small.duckdb"
    build_index(chunks, path, documents=len(CORPUS), settings={})
    return path


@pytest.mark.parametrize(
    "query", ["cat", "river bank", "interest rates for dogs", "cats cats dog", "unknownword"]
)
def test_bm25_scores_equal_an_independent_implementation(tmp_path: Path, query: str) -> None:
    bm25s = pytest.importorskip("bm25s")
    reader = IndexReader(_corpus_index(tmp_path))
    try:
        ours = dict(reader.bm25(query, k=len(CORPUS)))
    finally:
        reader.close()
    reference = bm25s.BM25(k1=1.5, b=0.75, method="lucene")
    reference.index([tokenize(text) for text in CORPUS], show_progress=False)
    query_terms = [t for t in tokenize(query) if t in reference.vocab_dict]
    expected = reference.get_scores(query_terms) if query_terms else [0.0] * len(CORPUS)
    for chunk_id, score in enumerate(expected):
        assert ours.get(chunk_id, 0.0) == pytest.approx(float(score), rel=1e-5, abs=1e-6)
    assert bool(ours) == bool(query_terms)  # passages sharing no term are not returned


def test_bm25_finds_the_exact_case_number_among_near_twins(lexical_index: Path) -> None:
    retriever = get_plugin_manager().create("retriever", "bm25", index=str(lexical_index))
    for number in ("2022-CV-0412", "2023-CV-0412", "2024-CV-0412", "2023-CV-0421"):
        docs = retriever.retrieve(f"Who is the plaintiff in case {number}?", k=3)
        assert docs[0].metadata["doc_id"] == f"{number}.md"
        assert docs[0].metadata["passage"] == 1
        assert f"Case number: {number}" in docs[0].text
    assert docs[0].score > docs[1].score >= docs[2].score


def test_bm25_ranks_the_document_about_the_topic_first(lexical_index: Path) -> None:
    retriever = BM25Retriever(lexical_index)
    docs = retriever.retrieve("delivery van crashed through the bakery shop window", k=5)
    assert docs[0].source == "2020-CV-1452.md"
    assert docs[0].id == f"2020-CV-1452.md#p{docs[0].metadata['passage']}"
    assert retriever.retrieve("the of and", k=5) == []  # only stopwords: nothing to match
