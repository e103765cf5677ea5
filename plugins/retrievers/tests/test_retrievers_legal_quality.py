"""Retrieval quality on the labelled legal question set (examples/rag_legal/questions.jsonl)."""

from __future__ import annotations

from pathlib import Path

from agentcore_retrievers.evaluation import evaluate, load_questions
from agentcore_retrievers.index_retrievers import HybridRetriever


def test_hybrid_recall_at_5_of_the_gold_passage_is_at_least_0_9(
    legal_index: Path, legal_questions: Path, legal_cases: Path
) -> None:
    questions = load_questions(legal_questions, legal_cases)
    assert len(questions) >= 20
    scores = evaluate(HybridRetriever(legal_index), questions)
    recall = scores.recall_at(5)
    assert recall >= 0.9, f"recall@5 {recall:.3f}; missed {scores.misses(questions, 5)}"
    assert scores.mrr > 0.5


def test_gold_labels_point_at_real_passages(legal_questions: Path, legal_cases: Path) -> None:
    """A label whose span is not in its file would silently count as a miss; catch it here."""
    for question in load_questions(legal_questions, legal_cases):
        text = (legal_cases / question.gold_file).read_text(encoding="utf-8")
        assert 0 <= question.span_start < question.span_end <= len(text)
        if question.answer and question.gold_file != "2023-CV-0713.md":
            assert question.answer in text, question.id
