"""The RAG loop (agentcore.rag.RAGAgent) with the scripted backend and real retrievers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from agentcore_retrievers.index_retrievers import BM25Retriever

from agentcore.builtin.scripted import ScriptedBackend
from agentcore.errors import ConfigError
from agentcore.models import Document
from agentcore.rag import RAGAgent, cited_numbers
from agentcore.retrievers import Retriever

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


def test_citation_parsing() -> None:
    assert cited_numbers("A [2] and B [1, 3] and again [2] and [9].", 3) == ([2, 1, 3], [9])
    assert cited_numbers("no citations", 3) == ([], [])


class _Fixed(Retriever):
    """A retriever returning given documents: isolates the loop from ranking."""

    name = "fixed"

    def __init__(self, docs: list[Document]) -> None:
        self.docs = docs

    def retrieve(self, query: str, k: int = 5) -> list[Document]:
        return self.docs[:k]


def _doc(n: int, words: int = 20) -> Document:
    return Document(
        id=f"d{n}", text=" ".join(f"fact{n}" for _ in range(words)), source=f"doc{n}.txt"
    )


def test_uncited_or_unknown_citations_are_noted() -> None:
    backend = ScriptedBackend(["It is fact1 [4].", "It is fact1."])
    agent = RAGAgent(backend, retriever=_Fixed([_doc(1), _doc(2)]))
    first = agent.run("what?")
    assert "the answer cites [4], but only 2 passage(s) were given" in first.notes
    assert not first.steps[1].tool_result.ok
    second = agent.run("what?")
    assert "the answer cites no passage" in second.notes
    assert "Sources (retrieved; the answer cites none):\n[1] doc1.txt\n[2] doc2.txt" in (
        second.answer
    )


def test_passages_that_do_not_fit_the_context_window_are_dropped_from_the_end() -> None:
    docs = [_doc(n, words=150) for n in range(1, 6)]
    backend = ScriptedBackend(["fact1 [1]."], context_window=800)
    agent = RAGAgent(backend, retriever=_Fixed(docs), k=5)
    result = agent.run("what?")
    assert result.status == "finished"
    prompt = backend.prompts[0]
    assert backend.count_tokens(prompt) + agent.generation.max_new_tokens <= 800
    kept = [n for n in range(1, 6) if f"(doc{n}.txt)" in prompt]
    assert kept and kept == list(range(1, len(kept) + 1)) and len(kept) < 5
    assert any(note.startswith(f"kept {len(kept)} of 5 passages") for note in result.notes)


def test_no_passage_found_still_asks_the_model_and_says_so() -> None:
    backend = ScriptedBackend(["The passages do not say."])
    result = RAGAgent(backend, retriever=_Fixed([])).run("what?")
    assert "(no passage matched the question)" in backend.prompts[0]
    assert result.answer.endswith("Sources: none (no passage was retrieved)")
    assert result.steps[0].observation == "(no passage matched)"


def test_empty_answer_is_an_error_and_bad_settings_are_refused(lexical_index: Path) -> None:
    result = RAGAgent(ScriptedBackend(["   "]), retriever=_Fixed([_doc(1)])).run("q")
    assert result.status == "error" and result.error == "the model wrote no answer"
    with pytest.raises(ConfigError, match="k "):
        RAGAgent(ScriptedBackend(), retriever=_Fixed([]), k=0)
    with pytest.raises(ConfigError, match="only when the retriever is given by name"):
        RAGAgent(ScriptedBackend(), retriever=BM25Retriever(lexical_index), index=lexical_index)
    with pytest.raises(ConfigError, match="does not exist"):
        RAGAgent(ScriptedBackend(), retriever="bm25", index="/nonexistent/index.duckdb")
