"""``agentcore index``, ``agentcore retrieve`` and ``agentcore run rag``, through CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from agentcore.builtin.scripted import ScriptedBackend
from agentcore.cli.main import _load_commands, cli
from agentcore.hookspecs import hookimpl
from agentcore.plugins import get_plugin_manager


@pytest.fixture
def runner() -> CliRunner:
    _load_commands()
    return CliRunner()


def test_index_builds_a_lexical_index_and_retrieve_reads_it(
    runner: CliRunner, legal_cases: Path, tmp_path: Path
) -> None:
    into = tmp_path / "cases.duckdb"
    result = runner.invoke(
        cli,
        ["index", str(legal_cases), "--into", str(into), "--no-dense", "--chunk-size", "60",
         "--overlap", "10"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "indexing" in result.output  # the progress bar's label
    assert "indexed 21 documents as " in result.output and "BM25 only" in result.output
    shown = runner.invoke(
        cli, ["retrieve", str(into), "plaintiff 2021-CV-3307", "-r", "bm25", "-k", "2", "--json"]
    )
    assert shown.exit_code == 0, shown.output
    docs = [json.loads(line) for line in shown.output.splitlines()]
    assert docs[0]["metadata"]["doc_id"] == "2021-CV-3307.md"
    assert len(docs[0]["text"].split()) <= 60


def test_index_with_embeddings_and_jsonl_input(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "faq.jsonl").write_text(
        '{"id": "refund", "title": "Refunds", "body": "Refunds are paid within 14 days."}\n'
        '{"id": "hours", "body": "The office opens at 8 in the morning."}\n'
    )
    into = tmp_path / "faq.duckdb"
    args = ["index", str(folder), "--into", str(into), "--text-field", "body", "--dense"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "2 documents as 2 passages" in result.output and "all-MiniLM-L6-v2" in result.output
    shown = runner.invoke(
        cli, ["retrieve", str(into), "when do you open?", "-r", "dense", "-k", "1"]
    )
    assert shown.exit_code == 0, shown.output
    assert shown.output.startswith("[1] faq.jsonl:2") and "opens at 8" in shown.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["index", "{tmp}/nowhere", "--into", "{tmp}/x.duckdb"], "no such file or folder"),
        (["index", "{tmp}/empty", "--into", "{tmp}/x.duckdb"], "no .txt, .md, .jsonl files"),
        (
            [
                "index",
                "{tmp}/docs",
                "--into",
                "{tmp}/x.duckdb",
                "--chunk-size",
                "10",
                "--overlap",
                "10",
            ],
            "must be smaller than the chunk size",
        ),
        (
            ["index", "{tmp}/docs", "--into", "{tmp}/no/such/dir/x.duckdb", "--no-dense"],
            "does not exist",
        ),
        (["index", "{tmp}/bad", "--into", "{tmp}/x.duckdb", "--no-dense"], "bad.jsonl:2"),
        (["retrieve", "{tmp}/missing.duckdb", "q"], "does not exist; build it"),
    ],
)
def test_cli_errors_are_one_clear_line(
    runner: CliRunner, tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("Some text.")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "bad.jsonl").write_text('{"text": "fine"}\n{"txt": "typo"}\n')
    result = runner.invoke(cli, [a.replace("{tmp}", str(tmp_path)) for a in args])
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "x.duckdb").exists()


class _ScriptedRag:
    """A test plugin: a backend that replays one answer with citations."""

    def __init__(self, answer: str) -> None:
        self.backend = ScriptedBackend([answer])

    @hookimpl
    def register_backends(self, register) -> None:
        register("scripted-rag", lambda **_: self.backend, description="test")


def test_run_rag_answers_with_citations_and_sources(runner: CliRunner, lexical_index: Path) -> None:
    plugin = _ScriptedRag("The plaintiff is Marisol Okafor [1].")
    get_plugin_manager().register(plugin, name="scripted-rag")
    args = ["run", "rag", "Who is the plaintiff in case 2023-CV-0412?", "--index",
            str(lexical_index), "-r", "bm25", "-k", "3", "-b", "scripted-rag"]  # fmt: skip
    result = runner.invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    run = json.loads(result.output)
    assert run["status"] == "finished" and run["agent"] == "rag"
    assert run["answer"].startswith("The plaintiff is Marisol Okafor [1].\n\nSources:\n")
    assert "[1] 2023-CV-0412.md, passage 1, characters 0–" in run["answer"]
    retrieved = run["steps"][0]["tool_result"]["data"]
    assert len(retrieved) == 3 and retrieved[0]["metadata"]["doc_id"] == "2023-CV-0412.md"
    assert "[1] (2023-CV-0412.md, passage 1)" in plugin.backend.prompts[0]


def test_run_rag_live_view_shows_passages_then_answer(
    runner: CliRunner, lexical_index: Path
) -> None:
    get_plugin_manager().register(_ScriptedRag("Ingrid Solberg [1]."), name="scripted-rag")
    result = runner.invoke(
        cli,
        ["run", "rag", "Who brought case 2024-CV-0412?", "--index", str(lexical_index),
         "--retriever", "bm25", "-b", "scripted-rag"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "bm25 (ok): [1] 2024-CV-0412.md, passage 1:" in result.output
    assert "Answer: Ingrid Solberg [1]." in result.output
    assert "Sources:\n[1] 2024-CV-0412.md, passage 1" in result.output
