"""Failures before a run starts: refused before the model loads, one line, and still a run.

A bad setting, option or model name is caught before anything is spent (the model is not
loaded: the default backend is named with a model that does not exist, so reaching the
model would be a different error). Each such failure is still recorded as a run with status
``error`` (``on_run_end``, which the run store implements) and, with ``--json``, printed as
that run's record.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from agentcore.cli.main import cli
from agentcore.hookspecs import hookimpl
from agentcore.plugins import get_plugin_manager


class Ends:
    def __init__(self) -> None:
        self.results = []

    @hookimpl
    def on_run_end(self, result):
        self.results.append(result)


@pytest.fixture
def ends():
    recorder = Ends()
    pm = get_plugin_manager()
    pm.register(recorder, name="test-run-ends")
    yield recorder
    pm.pm.unregister(name="test-run-ends")


CASES = {
    "unknown settings section": (
        ["--set", "wikipedai.mode=online"],
        "settings: unknown section wikipedai (known: ",
    ),
    "bad settings value": (
        ["--set", "wikipedia.mode=offlin"],
        "settings: wikipedia.mode='offlin': input should be 'offline' or 'online'",
    ),
    "bad backend option": (
        ["-o", "n_ctx=abc"],
        "llama-cpp backend: n_ctx='abc': input should be a valid integer",
    ),
    "unknown tool": (["-t", "serach"], "unknown tool 'serach'"),
}


@pytest.mark.parametrize(("args", "message"), CASES.values(), ids=CASES.keys())
def test_refused_in_one_line_before_the_model_loads_and_recorded(ends, args, message):
    result = CliRunner().invoke(cli, ["run", "react", "Who?", "-m", "no-such-model.gguf", *args])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], lines
    assert "Traceback" not in result.output
    [recorded] = ends.results
    assert (recorded.status, recorded.agent, recorded.input) == ("error", "react", "Who?")
    assert message in recorded.error
    assert recorded.notes[0].startswith("failed before the run started (")


@pytest.mark.parametrize(("args", "message"), CASES.values(), ids=CASES.keys())
def test_json_prints_the_failed_run_record(ends, args, message):
    result = CliRunner().invoke(
        cli, ["run", "react", "Who?", "--json", "-m", "no-such-model.gguf", *args]
    )
    assert result.exit_code == 1
    record = json.loads(result.stdout)
    assert record["status"] == "error" and message in record["error"]
    assert record["run_id"] == ends.results[0].run_id
    assert record["backend"] == "llama-cpp" and record["model"] == "no-such-model.gguf"


def test_a_missing_model_is_the_error_once_the_options_are_good(ends):
    result = CliRunner().invoke(cli, ["run", "pal", "1+1?", "--json", "-m", "no-such-model"])
    assert result.exit_code == 1
    record = json.loads(result.stdout)
    assert "unknown model 'no-such-model'" in record["error"] and record["agent"] == "pal"


def test_a_usage_error_is_a_json_record_with_exit_status_2(ends):
    result = CliRunner().invoke(cli, ["run", "rag", "Who?", "--json", "--retriever", "bm25"])
    assert result.exit_code == 2
    record = json.loads(result.stdout)
    assert "needs --index FILE" in record["error"] and record["agent"] == "rag"


def test_a_long_task_is_not_echoed_whole():
    question = "Which magazine came first? " + "x" * 20_000
    result = CliRunner().invoke(
        cli,
        [
            "run",
            "react",
            question,
            "-b",
            "scripted",
            "-o",
            "completions= Sure.\nAction 1: finish[A]",
        ],
    )
    assert result.exit_code == 0, result.output
    [task] = [line for line in result.output.splitlines() if line.startswith("Task: ")]
    assert len(task) < 400 and task.endswith("… (20,027 characters)")
