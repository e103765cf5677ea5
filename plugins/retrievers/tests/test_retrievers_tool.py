"""The ``retrieve`` tool, alone and inside a ReAct loop (scripted backend)."""

from __future__ import annotations

from pathlib import Path

from agentcore.builtin.scripted import ScriptedBackend
from agentcore.plugins import get_plugin_manager
from agentcore.react import ReActAgent
from agentcore.tools import ToolContext


def _context(**rag: object) -> ToolContext:
    return ToolContext(settings={"rag": rag})


def test_retrieve_tool_returns_numbered_passages_with_sources(lexical_index: Path) -> None:
    tool = get_plugin_manager().tool("retrieve")
    assert tool.spec.string_argument == "query"
    result = tool.invoke(
        "plaintiff case 2024-CV-0412",
        _context(index=str(lexical_index), retriever="bm25", k=2, chars=80),
    )
    assert result.ok, result.observation
    lines = result.observation.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("[1] 2024-CV-0412.md, passage 1: # 2024-CV-0412: Solberg v.")
    assert lines[1].startswith("[2] 2024-CV-0412.md, passage 2: ")
    assert all(len(line.split(": ", 1)[1]) <= 80 for line in lines)
    assert [d["metadata"]["doc_id"] for d in result.data] == ["2024-CV-0412.md"] * 2
    assert "Plaintiff: Ingrid Solberg" in result.data[0]["text"]


def test_retrieve_tool_explains_missing_or_bad_settings(lexical_index: Path) -> None:
    tool = get_plugin_manager().tool("retrieve")
    missing = tool.invoke({"query": "x"}, ToolContext())
    assert not missing.ok and missing.error_kind == "not_configured"
    assert "rag.index" in missing.observation
    wrong = tool.invoke("x", _context(index=str(lexical_index), retriever="bm25", k="many"))
    assert not wrong.ok and wrong.error_kind == "config"
    assert "rag.k='many': input should be a valid integer" in wrong.observation
    unknown = tool.invoke("x", _context(index=str(lexical_index), retriever="tfidf"))
    assert not unknown.ok and "unknown retriever 'tfidf'" in unknown.observation
    no_file = tool.invoke("x", _context(index="/nonexistent/idx.duckdb", retriever="bm25"))
    assert not no_file.ok and "does not exist" in no_file.observation


def test_react_agent_uses_retrieve_as_a_tool(lexical_index: Path) -> None:
    backend = ScriptedBackend(
        [
            " I need the case file.\nAction 1: retrieve[plaintiff in case 2023-CV-2048]\n",
            " The plaintiff is Kwame Mensah-Boateng.\nAction 2: finish[Kwame Mensah-Boateng]\n",
        ]
    )
    agent = ReActAgent(
        backend,
        tools=["retrieve"],
        prompt="react/tools",
        settings={"rag": {"index": str(lexical_index), "retriever": "bm25", "k": 2}},
    )
    result = agent.run("Who is the plaintiff in case 2023-CV-2048?")
    assert result.status == "finished" and result.answer == "Kwame Mensah-Boateng"
    first = result.steps[0]
    assert first.tool_result is not None and first.tool_result.ok
    assert first.observation.startswith("[1] 2023-CV-2048.md, passage 1:")
    assert "retrieve[query]" in backend.prompts[0]  # the tool is described to the model
    assert "Observation 1: [1] 2023-CV-2048.md, passage 1:" in backend.prompts[1]
