"""The ``python`` tool a ReAct agent calls, and ``agentcore sandbox run``."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from agentcore.cli import main as cli_main
from agentcore.plugins import get_plugin_manager
from agentcore.testing import assert_nothing_executes
from agentcore.tools import ToolContext


@pytest.fixture
def python_tool():
    return get_plugin_manager().tool("python")


def test_tool_spec_is_one_string_argument(python_tool):
    spec = python_tool.spec
    assert spec.name == "python"
    assert spec.string_argument == "code"
    assert spec.parameters["required"] == ["code"]
    assert "math" in spec.description and "fractions" in spec.description


def test_tool_shows_printed_output_and_the_result(python_tool):
    result = python_tool.invoke("print(2 + 3)\nx = 6\nx * 7")
    assert result.ok
    assert result.observation == "5\nResult: 42"
    assert result.data["value"] == 42


def test_tool_calls_solution_when_defined(python_tool):
    result = python_tool.invoke({"code": "def solution():\n    return [1, 'a']"})
    assert result.ok and result.observation == 'Result: [1, "a"]'


def test_tool_says_when_there_is_nothing_to_show(python_tool):
    result = python_tool.invoke({"code": "x = 1"})
    assert result.ok and "print()" in result.observation


def test_tool_turns_a_blocked_program_into_an_observation(python_tool):
    result = python_tool.invoke({"code": "print('before')\nimport os\nos.listdir('/')"})
    assert not result.ok
    assert result.error_kind == "forbidden"
    assert result.observation.startswith("Error (forbidden): import of 'os' is not allowed")
    assert "before" in result.observation


def test_tool_limits_come_from_settings(python_tool):
    context = ToolContext(settings={"sandbox": {"timeout_s": 0.5, "max_observation_chars": 40}})
    stuck = python_tool.invoke({"code": "while True:\n    pass"}, context)
    assert not stuck.ok and stuck.error_kind == "timeout"
    assert "0.5 s" in stuck.data["error"]["message"]
    long = python_tool.invoke({"code": "print('z' * 500)"}, context)
    assert (
        long.ok
        and long.observation.startswith("z" * 40)
        and "more characters cut" in long.observation
    )


@pytest.fixture
def cli():
    cli_main._load_commands()
    return cli_main.cli


@pytest.fixture
def runner():
    return CliRunner()


def _write(tmp_path, text: str, name: str = "program.py"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_cli_runs_a_program_as_pal_does(cli, runner, tmp_path):
    path = _write(tmp_path, "def solution():\n    print('working')\n    return 200 - 93 - 39 + 6")
    out = runner.invoke(cli, ["sandbox", "run", path])
    assert out.exit_code == 0, out.output
    assert "value:    74" in out.stdout
    assert "  working" in out.stdout
    assert "error:    none" in out.stdout
    assert "duration:" in out.stdout


def test_cli_json_has_exactly_the_documented_keys(cli, runner, tmp_path):
    path = _write(tmp_path, "def solution():\n    return {'a': [1, 2]}")
    out = runner.invoke(cli, ["sandbox", "run", path, "--json"])
    assert out.exit_code == 0, out.output
    payload = json.loads(out.stdout)
    assert set(payload) == {"value", "stdout", "error", "duration_s"}
    assert payload["value"] == {"a": [1, 2]} and payload["error"] is None


def test_cli_blocked_program_exits_non_zero_with_the_kind(cli, runner, tmp_path):
    path = _write(tmp_path, "def solution():\n    return ().__class__")
    out = runner.invoke(cli, ["sandbox", "run", path, "--json"])
    assert out.exit_code == 1
    payload = json.loads(out.stdout)
    assert payload["value"] is None
    assert payload["error"]["kind"] == "forbidden"
    assert "'__class__'" in payload["error"]["message"]
    text = runner.invoke(cli, ["sandbox", "run", path])
    assert text.exit_code == 1 and "error:    forbidden:" in text.stdout


def test_cli_script_mode_runs_as_the_python_tool_does(cli, runner, tmp_path):
    path = _write(tmp_path, "print('hi')\n21 * 2")
    out = runner.invoke(cli, ["sandbox", "run", path, "--script", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["value"] == 42
    pal = runner.invoke(cli, ["sandbox", "run", path, "--json"])
    assert pal.exit_code == 1
    assert json.loads(pal.stdout)["error"]["kind"] == "missing_entrypoint"


def test_cli_entrypoint_and_timeout(cli, runner, tmp_path):
    path = _write(
        tmp_path, "def main():\n    return 'from main'\ndef spin():\n    while True:\n        pass"
    )
    named = runner.invoke(cli, ["sandbox", "run", path, "--entrypoint", "main", "--json"])
    assert json.loads(named.stdout)["value"] == "from main"
    stuck = runner.invoke(
        cli, ["sandbox", "run", path, "--entrypoint", "spin", "--timeout", "0.5", "--json"]
    )
    assert stuck.exit_code == 1
    assert json.loads(stuck.stdout)["error"]["kind"] == "timeout"


def test_cli_script_and_entrypoint_together_is_one_clear_error(cli, runner, tmp_path):
    path = _write(tmp_path, "x = 1")
    out = runner.invoke(cli, ["sandbox", "run", path, "--script", "--entrypoint", "main"])
    assert out.exit_code == 1
    assert out.stderr.strip().count("\n") == 0 and "either --script or --entrypoint" in out.stderr


def test_cli_missing_file_is_one_clear_error(cli, runner, tmp_path):
    out = runner.invoke(cli, ["sandbox", "run", str(tmp_path / "nope.py")])
    assert out.exit_code == 1
    assert out.stderr.strip().count("\n") == 0
    assert "nope.py" in out.stderr and "no such file" in out.stderr


HOSTILE = "\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J\u202eevil\U000e0041\x9b31m"


def test_cli_shows_control_characters_a_program_prints_instead_of_sending_them(
    cli, runner, tmp_path
):
    path = _write(tmp_path, f"def solution():\n    print({HOSTILE!r})\n    return {HOSTILE!r}")
    out = runner.invoke(cli, ["sandbox", "run", path], color=True)
    assert out.exit_code == 0, out.output
    assert_nothing_executes(out.stdout, ["\x1b]52", "\x1b[2J", "\u202e", "\x9b"])
    assert "\\x1b]52;c;" in out.stdout and "<U+202E>" in out.stdout

    as_json = runner.invoke(cli, ["sandbox", "run", path, "--json"], color=True)
    assert_nothing_executes(as_json.stdout, ["\x1b", "\u202e"])
    payload = json.loads(as_json.stdout)
    assert payload["value"] == HOSTILE and payload["stdout"] == HOSTILE + "\n"
