"""The RAG loop with the plugin's real retrievers (the loop's own logic: tests/test_rag.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from agentcore_retrievers.index_retrievers import BM25Retriever

from agentcore.builtin.scripted import ScriptedBackend
from agentcore.errors import ConfigError
from agentcore.rag import RAGAgent

QUESTION = "Who is the plaintiff in case 2023-CV-0412?"


def test_prompt_numbers_the_passages_and_the_answer_keeps_its_citations(
    lexical_index: Path,
) -> None:
    backend = ScriptedBackend(["Marisol Okafor is the plaintiff [1], suing Brightwater [1][2]."])
    agent = RAGAgent(backend, retriever="bm25", index=lexical_index, k=3)
    result = agent.run(QUESTION)
    assert result.status == "finished", result.error
    prompt = backend.prompts[0]
    passages = prompt[prompt.rindex("Passages:") :]
    numbered = re.findall(r"^\[(\d)\] \(([^)]*)\) ", passages, flags=re.M)
    assert numbered == [
        ("1", "2023-CV-0412.md, passage 1"),
        ("2", "2023-CV-0412.md, passage 2"),
        ("3", "2022-CV-0412.md, passage 1"),
    ]
    assert "Plaintiff: Marisol Okafor" in passages
    assert passages.rstrip().endswith(f"Question: {QUESTION}\nAnswer:")
    answer, sources = result.answer.split("\n\nSources:\n")
    assert answer == "Marisol Okafor is the plaintiff [1], suing Brightwater [1][2]."
    assert sources.splitlines()[0].startswith("[1] 2023-CV-0412.md, passage 1, characters 0–")
    assert sources.splitlines()[1].startswith("[2] 2023-CV-0412.md, passage 2, characters ")
    retrieve_step, answer_step = result.steps
    assert retrieve_step.action.tool == "retrieve" and retrieve_step.llm_s == 0
    assert [d["id"] for d in retrieve_step.tool_result.data] == [
        "2023-CV-0412.md#p1",
        "2023-CV-0412.md#p2",
        "2022-CV-0412.md#p1",
    ]
    assert [d["number"] for d in answer_step.tool_result.data] == [1, 2]
    assert answer_step.completion.startswith("Marisol Okafor")
    assert result.notes == []


def test_retriever_settings_are_checked_when_the_agent_is_built(lexical_index: Path) -> None:
    with pytest.raises(ConfigError, match="only when the retriever is given by name"):
        RAGAgent(ScriptedBackend(), retriever=BM25Retriever(lexical_index), index=lexical_index)
    with pytest.raises(ConfigError, match="does not exist"):
        RAGAgent(ScriptedBackend(), retriever="bm25", index="/nonexistent/index.duckdb")
