"""Measuring retrieval against a labelled question set (recall@k, MRR).

A question file is JSON lines: ``question``, ``gold_file`` (the document's id:
its path relative to the indexed folder) and ``gold_span`` (text of that file
that answers the question). A retrieved passage is *the gold passage* when it
comes from the gold file and its character range contains the whole span, so
the labels do not depend on how the documents were chunked.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from agentcore.models import Document
from agentcore.plugin import ConfigError, Retriever


@dataclass(frozen=True)
class LabelledQuestion:
    """A question and where its answer lies."""

    id: str
    question: str
    gold_file: str
    span_start: int
    span_end: int
    answer: str = ""

    def is_gold(self, doc: Document) -> bool:
        meta = doc.metadata
        return (
            meta.get("doc_id", doc.id) == self.gold_file
            and meta.get("start", 0) <= self.span_start
            and self.span_end <= meta.get("end", -1)
        )


def load_questions(path: Path, documents_root: Path) -> list[LabelledQuestion]:
    """Read a question file, locating each gold span in its file under ``documents_root``."""
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        record = json.loads(line)
        text = (documents_root / record["gold_file"]).read_text(encoding="utf-8")
        start = text.find(record["gold_span"])
        if start < 0:
            raise ConfigError(
                f"{path}:{number}: gold_span {record['gold_span']!r} is not in "
                f"{record['gold_file']}"
            )
        questions.append(
            LabelledQuestion(
                id=str(record.get("id", number)),
                question=record["question"],
                gold_file=record["gold_file"],
                span_start=start,
                span_end=start + len(record["gold_span"]),
                answer=str(record.get("answer", "")),
            )
        )
    return questions


@dataclass
class RetrievalScores:
    """Recall@k and MRR of one retriever on a question set, plus query latency."""

    retriever: str
    ranks: list[int | None] = field(default_factory=list)  # 1-based rank of the gold passage
    latencies_s: list[float] = field(default_factory=list)

    def recall_at(self, k: int) -> float:
        hits = sum(1 for rank in self.ranks if rank is not None and rank <= k)
        return hits / len(self.ranks) if self.ranks else 0.0

    @property
    def mrr(self) -> float:
        return (
            sum(1.0 / rank for rank in self.ranks if rank is not None) / len(self.ranks)
            if self.ranks
            else 0.0
        )

    @property
    def median_latency_s(self) -> float:
        return statistics.median(self.latencies_s) if self.latencies_s else 0.0

    def misses(self, questions: Sequence[LabelledQuestion], k: int) -> list[str]:
        return [
            q.id for q, rank in zip(questions, self.ranks, strict=True) if rank is None or rank > k
        ]


def evaluate(
    retriever: Retriever, questions: Sequence[LabelledQuestion], depth: int = 10
) -> RetrievalScores:
    """Rank of the gold passage in each question's top ``depth`` (None when absent)."""
    scores = RetrievalScores(retriever.name)
    for question in questions:
        started = time.perf_counter()
        docs = retriever.retrieve(question.question, depth)
        scores.latencies_s.append(time.perf_counter() - started)
        rank = next((n for n, doc in enumerate(docs, start=1) if question.is_gold(doc)), None)
        scores.ranks.append(rank)
    return scores
