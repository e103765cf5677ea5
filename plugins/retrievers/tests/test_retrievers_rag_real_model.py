"""RAG end to end on the embedded model: real retrieval, real llama.cpp generation.

Slow (loads a GGUF model and generates on the CPU); CI runs it, `make test-fast` skips it.
It uses the default model, Qwen2.5-Coder-1.5B: with this prompt the 0.5B model tends to
copy the citation number of the most similar exemplar and name the wrong party.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agentcore.models import RunStatus
from agentcore.rag import RAGAgent

pytestmark = pytest.mark.slow


def test_rag_names_and_cites_the_plaintiff_of_a_case(legal_index: Path) -> None:
    pytest.importorskip("llama_cpp")
    agent = RAGAgent(
        "llama-cpp",
        model="qwen2.5-coder-1.5b",
        backend_options={"n_threads": 2},
        retriever="hybrid",
        index=legal_index,
        k=5,
    )
    try:
        result = agent.run("Who is the plaintiff in case 2023-CV-0412?")
    finally:
        agent.backend.close()
    assert result.status is RunStatus.FINISHED, result.error
    answer, _, sources = result.answer.partition("\n\nSources:\n")
    assert "Marisol Okafor" in answer
    assert "[1]" in answer  # the passage of 2023-CV-0412 is ranked first and cited
    assert sources.startswith("[1] 2023-CV-0412.md, passage 1")
