"""Retrieval quality and latency on the legal example: lexical (BM25) vs dense vs hybrid (RRF).

Indexes examples/rag_legal/cases (default chunking: 120 words, 30 overlap) into a temporary
DuckDB file, then asks every question of examples/rag_legal/questions.jsonl. A hit is a
retrieved passage from the gold file whose character range holds the gold span. Prints
recall@1, recall@5, MRR (over the top 10) and the median and p95 query latency, side by side;
also a hybrid that weights the lexical side twice, and (``--sizes``) other chunk sizes.

Run: .venv/bin/python benchmarks/retrieval.py [--sizes 60,120,200] [--misses]
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path

from agentcore_retrievers.builder import index_folder
from agentcore_retrievers.evaluation import RetrievalScores, evaluate, load_questions
from agentcore_retrievers.index_retrievers import BM25Retriever, DenseRetriever, HybridRetriever

ROOT = Path(__file__).resolve().parent.parent
LEGAL = ROOT / "examples" / "rag_legal"
CASE_NUMBER = re.compile(r"\b\d{4}-[A-Z]{2}-\d{4}\b")


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def row(label: str, scores: RetrievalScores) -> str:
    return (
        f"| {label:<28} | {scores.recall_at(1):>6.3f} | {scores.recall_at(5):>6.3f} | "
        f"{scores.mrr:>6.3f} | {statistics.median(scores.latencies_s) * 1000:>8.1f} | "
        f"{p95(scores.latencies_s) * 1000:>8.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="120", help="chunk sizes in words, comma-separated")
    parser.add_argument("--misses", action="store_true", help="list the questions each missed")
    args = parser.parse_args()
    questions = load_questions(LEGAL / "questions.jsonl", LEGAL / "cases")
    print(f"{len(questions)} labelled questions over {len(list((LEGAL / 'cases').iterdir()))} "
          "case files")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            overlap = size // 4
            path = Path(tmp) / f"legal-{size}.duckdb"
            started = time.perf_counter()
            stats = index_folder(LEGAL / "cases", path, chunk_size=size, overlap=overlap)
            print(
                f"\nchunks of {size} words, overlap {overlap}: {stats.chunks} passages, "
                f"indexed in {time.perf_counter() - started:.1f}s (includes loading the model)"
            )
            retrievers = [
                ("bm25 (lexical)", BM25Retriever(path)),
                ("dense (all-MiniLM-L6-v2)", DenseRetriever(path)),
                ("hybrid (RRF k=60)", HybridRetriever(path)),
                ("hybrid (RRF, lexical ×2)", HybridRetriever(path, lexical_weight=2.0)),
            ]
            for _, retriever in retrievers:  # warm up: the first query loads the model
                retriever.retrieve("warm-up query", 1)
            print(
                "| retriever                    | R@1    | R@5    | MRR    | p50 ms   | p95 ms   |"
            )
            print(
                "|------------------------------|--------|--------|--------|----------|----------|"
            )
            by_kind = []
            for label, retriever in retrievers:
                scores = evaluate(retriever, questions, depth=10)
                print(row(label, scores))
                if args.misses:
                    print(f"|   missed @5: {', '.join(scores.misses(questions, 5)) or '-'}")
                by_kind.append((label, scores))
            numbered = [bool(CASE_NUMBER.search(q.question)) for q in questions]
            print(
                f"\nR@1 / R@5 by kind of question: naming a case number (n={sum(numbered)}) "
                f"vs described in words (n={len(numbered) - sum(numbered)})"
            )
            for label, scores in by_kind:
                cells = []
                for want in (True, False):
                    ranks = [r for r, n in zip(scores.ranks, numbered, strict=True) if n == want]
                    part = RetrievalScores(label, ranks=ranks)
                    cells.append(f"{part.recall_at(1):.3f} / {part.recall_at(5):.3f}")
                print(f"| {label:<28} | {cells[0]:^15} | {cells[1]:^15} |")


if __name__ == "__main__":
    main()
