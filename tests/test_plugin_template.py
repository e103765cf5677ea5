"""The third-party plugin template installs like any package and is seen by the CLI and agents."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TEMPLATE = Path(__file__).resolve().parents[1] / "examples" / "plugin_template"


@pytest.fixture(scope="module")
def installed_template(tmp_path_factory):
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(TEMPLATE),
        ],
        check=True,
    )
    return target


def run(target, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(target)}
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=env, check=True
    )


def test_cli_lists_the_installed_plugin_and_its_tool(installed_template):
    listing = json.loads(run(installed_template, "-m", "agentcore.cli", "plugins", "--json").stdout)
    units = next(p for p in listing["plugins"] if p["name"] == "units")
    assert units["distribution"] == "agentcore-units" and units["version"] == "0.1.0"
    assert units["provides"] == {"tool": ["convert_units"]}
    tools = run(installed_template, "-m", "agentcore.cli", "tools").stdout
    assert 'convert_units[{"value": ..., "from_unit": ..., "to_unit": ...}]' in tools


def test_an_agent_uses_the_plugin_tool_by_name(installed_template):
    code = """
from agentcore import ReActAgent
from agentcore.builtin.scripted import ScriptedBackend
backend = ScriptedBackend([
    ' Convert.\\nAction 1: convert_units[{"value": 26.2, "from_unit": "mi", "to_unit": "km"}]',
    ' Done.\\nAction 2: finish[42.2 km]',
])
agent = ReActAgent(backend, tools=["convert_units"], prompt="react/tools")
result = agent.run("How many kilometres is a marathon of 26.2 miles?")
print(result.steps[0].observation)
print(result.answer)
"""
    out = run(installed_template, "-c", code).stdout.splitlines()
    assert out == ["26.2 mi = 42.1648 km", "42.2 km"]
