"""``agentcore runs``, ``runs show``, ``feedback`` and ``export`` on a store filled by real runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from agentcore.models import RunResult, RunStatus, Step


@pytest.fixture
def agentcore_cli(store: Path):
    """Invoke the real ``agentcore`` command group, with plugin commands loaded."""
    from agentcore.cli.main import _load_commands, cli

    _load_commands()
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


@pytest.fixture
def two_runs(run_react, finished_script) -> tuple[RunResult, RunResult]:
    good = run_react(*finished_script)
    bad = run_react(" Hmm.\nAction 1: flaky[dates]")  # then the backend runs dry: an error run
    assert (good.status, bad.status) == (RunStatus.FINISHED, RunStatus.ERROR)
    return good, bad


def test_runs_lists_recent_runs_with_filters_and_json(agentcore_cli, two_runs):
    good, bad = two_runs
    listing = agentcore_cli("runs")
    assert listing.exit_code == 0, listing.output
    lines = listing.output.splitlines()
    assert lines[0].split()[:3] == ["RUN", "ID", "WHEN"]
    assert lines[1].startswith(bad.run_id)  # most recent first
    assert lines[2].startswith(good.run_id)
    assert "finished" in lines[2] and "Arthur's Magazine" in lines[2]
    assert "error" in lines[1] and "no completion left" in lines[1]

    only_errors = agentcore_cli("runs", "--status", "error")
    assert good.run_id not in only_errors.output and bad.run_id in only_errors.output

    data = json.loads(agentcore_cli("runs", "--json", "--limit", "1").output)
    assert [r["run_id"] for r in data] == [bad.run_id]
    first = json.loads(agentcore_cli("runs", "--json").output)[1]
    assert first["run_id"] == good.run_id
    assert first["step_count"] == 3
    assert first["tokens"] == good.usage.total_tokens
    assert first["answer"] == "Arthur's Magazine"
    assert first["started_at"].endswith("Z")


def test_runs_show_prints_the_trace_by_prefix(agentcore_cli, two_runs, run_react):
    good, _ = two_runs
    shown = agentcore_cli("runs", "show", good.run_id[:6])
    assert shown.exit_code == 0, shown.output
    text = shown.output
    assert f"Run {good.run_id}  react  finished" in text
    for fragment in (
        "Thought: I need both dates.",
        "Action: search[Arthur's Magazine]",
        "Observation: Arthur's Magazine was started in 1844.",
        "Tool: search ok",
        "Completion:",
        "answer: Arthur's Magazine",
    ):
        assert fragment in text
    assert "Solve the question by alternating" not in text  # prompts only on request

    with_prompts = agentcore_cli("runs", good.run_id, "--prompts")  # `runs RUN_ID` == show
    assert with_prompts.exit_code == 0, with_prompts.output
    assert "Solve the question by alternating" in with_prompts.output

    trace = json.loads(agentcore_cli("runs", "show", good.run_id, "--json").output)
    assert [s["action_tool"] for s in trace["steps"]] == ["search", "search", "finish"]
    assert trace["steps"][0]["action_args"] == {"entity": "Arthur's Magazine"}
    assert "prompt" not in trace["llm_calls"][0]
    assert trace["llm_calls"][2]["completion"] == good.steps[2].completion
    full = json.loads(agentcore_cli("runs", "show", good.run_id, "--json", "--prompts").output)
    assert [c["prompt"] for c in full["llm_calls"]] == run_react.backends[0].prompts


def test_feedback_then_export_round_trip(agentcore_cli, two_runs, run_react, tmp_path):
    good, bad = two_runs
    ok = agentcore_cli("feedback", good.run_id[:5], "--good", "--note", "right and short")
    assert ok.exit_code == 0, ok.output
    assert f"Recorded good feedback for run {good.run_id}" in ok.output
    assert agentcore_cli("feedback", "last", "--bad").exit_code == 0  # `last` is the error run

    shown = agentcore_cli("runs", "show", good.run_id).output
    assert "feedback: good: right and short" in shown
    assert "(good)" in agentcore_cli("runs").output

    out = tmp_path / "pairs.jsonl"
    exported = agentcore_cli("export", "--out", str(out))
    assert exported.exit_code == 0, exported.output
    pairs = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    # the error run's last call got no completion, so it has 1 pair; the good run has 3
    assert [(p["run_id"], p["step_index"]) for p in pairs] == [
        (good.run_id, 1),
        (good.run_id, 2),
        (good.run_id, 3),
        (bad.run_id, 1),
    ]
    first = pairs[0]
    assert set(first) == {
        "run_id",
        "step_index",
        "prompt",
        "completion",
        "rating",
        "note",
        "agent",
        "model",
        "status",
    }
    assert first["prompt"] == run_react.backends[0].prompts[0]
    assert first["completion"] == good.steps[0].completion
    assert (first["rating"], first["note"], first["agent"], first["model"], first["status"]) == (
        "good",
        "right and short",
        "react",
        "scripted",
        "finished",
    )
    assert (pairs[3]["rating"], pairs[3]["status"]) == ("bad", "error")
    assert "Exported 4 prompt/completion pair(s) from 2 run(s)" in exported.output

    only_good = agentcore_cli("export", "--only-good")  # to standard output
    lines = [json.loads(line) for line in only_good.stdout.splitlines()]
    assert {p["run_id"] for p in lines} == {good.run_id} and len(lines) == 3
    assert agentcore_cli("export", "--agent", "pal").stdout == ""

    # the latest feedback wins
    agentcore_cli("feedback", good.run_id, "--bad", "--note", "on reflection, no")
    react_only = agentcore_cli("export", "--agent", "react").stdout
    again = [json.loads(line) for line in react_only.splitlines()]
    assert again[0]["rating"] == "bad" and again[0]["note"] == "on reflection, no"


def _stored(run_id: str) -> None:
    """Store a run through the plugin's end-of-run path alone (no start event seen)."""
    from agentcore_store import recorder

    step = Step(index=1, completion=" ok\nAction 1: finish[yes]", prompt="Q: yes?\nThought 1:")
    recorder.run_ended(
        RunResult(
            run_id=run_id,
            agent="react",
            input="yes?",
            status=RunStatus.FINISHED,
            answer="yes",
            steps=[step],
            model="m",
        )
    )


def test_unknown_and_ambiguous_run_ids_are_one_error_line(agentcore_cli, store):
    _stored("abc111111111")
    _stored("abc222222222")
    missing = agentcore_cli("feedback", "ffff", "--good")
    assert missing.exit_code == 1
    assert "no stored run has an id starting with 'ffff'" in missing.output
    assert "Traceback" not in missing.output
    ambiguous = agentcore_cli("runs", "show", "abc")
    assert ambiguous.exit_code == 1
    assert "matches several runs" in ambiguous.output and "abc111111111" in ambiguous.output
    assert agentcore_cli("feedback", "abc2", "--good").exit_code == 0
    no_rating = agentcore_cli("feedback", "abc1")
    assert no_rating.exit_code == 2 and "--good or --bad" in no_rating.output
    # a run stored from its end alone still exports its prompt (kept by the step)
    [pair] = [
        json.loads(line) for line in agentcore_cli("export", "--only-good").stdout.splitlines()
    ]
    assert (pair["run_id"], pair["prompt"]) == ("abc222222222", "Q: yes?\nThought 1:")


def test_empty_and_disabled_store(agentcore_cli, store, monkeypatch):
    empty = agentcore_cli("runs")
    assert empty.exit_code == 0 and "No runs stored yet" in empty.output
    assert not store.exists()  # reading never creates the file
    assert agentcore_cli("feedback", "abc", "--good").exit_code == 1
    assert agentcore_cli("export").stdout == ""

    monkeypatch.setenv("AGENTCORE_STORE", "off")
    disabled = agentcore_cli("runs")
    assert disabled.exit_code == 1 and "run store is disabled" in disabled.output
