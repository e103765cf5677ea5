"""The RAG loop's own logic (agentcore.rag), with a retriever written here and the scripted
backend: numbering and citations, the sources section, fitting passages into the context
window, no passage found, and failures. Ranking is the retriever plugins' job (their suite);
hostile passages are in test_observations_are_data.py, a blocked retrieval in
test_guardrails.py."""

from __future__ import annotations

import pytest

from agentcore.errors import ConfigError
from agentcore.models import Document, RunStatus, StepKind
from agentcore.rag import RAGAgent, cited_numbers
from agentcore.retrievers import Retriever


class _Fixed(Retriever):
    """A retriever returning given documents: isolates the loop from ranking."""

    name = "fixed"

    def __init__(self, docs: list[Document]) -> None:
        self.docs = docs
        self.queries: list[tuple[str, int]] = []

    def retrieve(self, query: str, k: int = 5) -> list[Document]:
        self.queries.append((query, k))
        return self.docs[:k]


class _Broken(Retriever):
    name = "broken"

    def retrieve(self, query: str, k: int = 5) -> list[Document]:
        raise OSError("index file is locked")


def _doc(n: int, words: int = 20) -> Document:
    return Document(
        id=f"d{n}", text=" ".join(f"fact{n}" for _ in range(words)), source=f"doc{n}.txt"
    )


def _agent(scripted, pm, completions, docs, **kwargs) -> RAGAgent:
    backend = scripted(*completions, **kwargs.pop("backend_kwargs", {}))
    return RAGAgent(backend, retriever=_Fixed(docs), plugin_manager=pm, **kwargs)


def test_a_run_is_retrieve_then_answer_with_the_cited_sources(scripted, pm) -> None:
    agent = _agent(scripted, pm, ["It is fact2 [2], and fact1 [1]."], [_doc(1), _doc(2)], k=4)
    result = agent.run("what is it?")
    assert result.status is RunStatus.FINISHED, result.error
    assert agent.retriever.queries == [("what is it?", 4)]
    retrieve, answer = result.steps
    assert (retrieve.kind, answer.kind) == (StepKind.RETRIEVE, StepKind.ANSWER)
    assert retrieve.action.arguments == {"query": "what is it?", "k": 4, "retriever": "fixed"}
    assert [d["id"] for d in retrieve.tool_result.data] == ["d1", "d2"]
    assert [d["number"] for d in answer.tool_result.data] == [2, 1]
    assert answer.tool_result.observation == "cites [2], [1]"
    text, sources = result.answer.split("\n\nSources:\n")
    assert text == "It is fact2 [2], and fact1 [1]."
    assert sources.splitlines() == ["[2] doc2.txt", "[1] doc1.txt"]  # in the order cited
    prompt = agent.backend.prompts[0]
    fact1, fact2 = " ".join(["fact1"] * 20), " ".join(["fact2"] * 20)
    expected = f"[1] (doc1.txt) {fact1}\n[2] (doc2.txt) {fact2}\n\nQuestion: what is it?\nAnswer:"
    assert prompt.endswith(expected)
    # the prompt's own stop sequences end the answer
    assert set(agent.backend.configs[0].stop) >= {"\nQuestion:", "\nPassages:", "\n\n"}


def test_citation_parsing() -> None:
    assert cited_numbers("A [2] and B [1, 3] and again [2] and [9].", 3) == ([2, 1, 3], [9])
    assert cited_numbers("no citations", 3) == ([], [])


def test_uncited_or_unknown_citations_are_noted(scripted, pm) -> None:
    agent = _agent(scripted, pm, ["It is fact1 [4].", "It is fact1."], [_doc(1), _doc(2)])
    first = agent.run("what?")
    assert "the answer cites [4], but only 2 passage(s) were given" in first.notes
    assert not first.steps[1].tool_result.ok
    second = agent.run("what?")
    assert "the answer cites no passage" in second.notes
    assert "Sources (retrieved; the answer cites none):\n[1] doc1.txt\n[2] doc2.txt" in (
        second.answer
    )


def test_passages_that_do_not_fit_the_context_window_are_dropped_from_the_end(scripted, pm) -> None:
    docs = [_doc(n, words=150) for n in range(1, 6)]
    agent = _agent(scripted, pm, ["fact1 [1]."], docs, k=5, backend_kwargs={"context_window": 800})
    result = agent.run("what?")
    assert result.status is RunStatus.FINISHED
    prompt = agent.backend.prompts[0]
    assert agent.backend.count_tokens(prompt) + agent.generation.max_new_tokens <= 800
    kept = [n for n in range(1, 6) if f"(doc{n}.txt)" in prompt]
    assert kept and kept == list(range(1, len(kept) + 1)) and len(kept) < 5
    assert any(note.startswith(f"kept {len(kept)} of 5 passages") for note in result.notes)


def test_not_even_one_passage_fitting_is_an_error_that_says_what_to_change(scripted, pm) -> None:
    agent = _agent(
        scripted, pm, ["x"], [_doc(1, words=900)], backend_kwargs={"context_window": 400}
    )
    agent.passage_chars = 20_000
    result = agent.run("what?")
    assert result.status is RunStatus.ERROR
    assert "not even one passage fits" in result.error and "passage_chars" in result.error
    assert [s.kind for s in result.steps] == [StepKind.RETRIEVE]  # the trace keeps what ran


def test_long_passages_are_cut_to_passage_chars(scripted, pm) -> None:
    agent = _agent(scripted, pm, ["fact1 [1]."], [_doc(1, words=400)], passage_chars=100)
    agent.run("what?")
    line = next(p for p in agent.backend.prompts[0].splitlines() if p.startswith("[1] (doc1"))
    assert len(line) < 100 + len("[1] (doc1.txt) ") + 5


def test_no_passage_found_still_asks_the_model_and_says_so(scripted, pm) -> None:
    agent = _agent(scripted, pm, ["The passages do not say."], [])
    result = agent.run("what?")
    assert "(no passage matched the question)" in agent.backend.prompts[0]
    assert result.answer.endswith("Sources: none (no passage was retrieved)")
    assert result.steps[0].observation == "(no passage matched)"


def test_a_failing_retriever_ends_the_run_with_an_error_and_its_trace(scripted, pm) -> None:
    agent = RAGAgent(scripted("unused"), retriever=_Broken(), plugin_manager=pm)
    result = agent.run("what?")
    assert result.status is RunStatus.ERROR
    assert "index file is locked" in result.error
    assert agent.backend.prompts == []  # the model was never asked


def test_empty_answer_is_an_error_and_bad_settings_are_refused(scripted, pm) -> None:
    result = _agent(scripted, pm, ["   "], [_doc(1)]).run("q")
    assert result.status is RunStatus.ERROR and result.error == "the model wrote no answer"
    with pytest.raises(ConfigError, match="k "):
        RAGAgent(scripted(), retriever=_Fixed([]), k=0, plugin_manager=pm)
    with pytest.raises(ConfigError, match="passage_chars"):
        RAGAgent(scripted(), retriever=_Fixed([]), passage_chars=5, plugin_manager=pm)
    with pytest.raises(ConfigError, match="only when the retriever is given by name"):
        RAGAgent(scripted(), retriever=_Fixed([]), index="x.duckdb", plugin_manager=pm)
