"""``agentcore.plugin`` is the whole public API for plugins, and the layers around it hold.

The layers are import-linter contracts in ``pyproject.toml``; these tests run them (each
contract its own test, so a failure names the rule broken) and show, on a throwaway plugin
package, that the plugin contract really refuses an import of a core internal.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

import agentcore.plugin
from agentcore.errors import NotFoundError

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "examples" / "plugin_template"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CONFIG = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
    "importlinter"
]
CONTRACTS = {contract["id"]: contract for contract in CONFIG["contracts"]}


@pytest.mark.parametrize("name", agentcore.plugin.__all__)
def test_every_public_name_resolves(name):
    assert getattr(agentcore.plugin, name) is not None
    assert name in dir(agentcore.plugin)


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="has no attribute 'ReActAgent'"):
        agentcore.plugin.ReActAgent  # noqa: B018 - the agents are not part of the plugin API


def test_hookimpl_costs_neither_pydantic_nor_the_core_modules():
    """A plugin's entry module imports ``hookimpl`` when the plugin manager loads it."""
    probe = (
        "import json, sys\n"
        "from agentcore.plugin import hookimpl\n"
        "print(json.dumps(sorted(m for m in sys.modules"
        " if m.split('.')[0] in ('pydantic', 'agentcore'))))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [
        "agentcore",
        "agentcore.hookspecs",
        "agentcore.lazy_exports",
        "agentcore.plugin",
    ]


def test_create_provider_builds_what_a_plugin_registered():
    backend = agentcore.plugin.create_provider("backend", "scripted", completions=["hi"])
    assert isinstance(backend, agentcore.plugin.LLMBackend)
    assert backend.model_name == "scripted"
    with pytest.raises(NotFoundError, match="unknown retriever 'no-such'; available:"):
        agentcore.plugin.create_provider("retriever", "no-such")


def _lint_imports(*args: str, cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-logo", "--no-cache", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
    )


@pytest.mark.parametrize("contract", sorted(CONTRACTS))
def test_the_layers_hold(contract):
    result = _lint_imports("--contract", contract, cwd=REPO, pythonpath=TEMPLATE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return json.dumps(value)


def _probe_package(tmp_path: Path, source: str) -> Path:
    """A plugin package ``agentcore_probe`` and a config holding it to the plugin contract."""
    package = tmp_path / "agentcore_probe"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "tools.py").write_text(source)
    contract = {**CONTRACTS["plugins-use-public-api"], "source_modules": ["agentcore_probe"]}
    lines = [
        "[tool.importlinter]",
        'root_packages = ["agentcore", "agentcore_probe"]',
        "[[tool.importlinter.contracts]]",
        *(f"{key} = {_toml(value)}" for key, value in contract.items()),
    ]
    (tmp_path / "pyproject.toml").write_text("\n".join(lines) + "\n")
    return tmp_path


def test_the_plugin_contract_refuses_a_core_internal(tmp_path):
    project = _probe_package(
        tmp_path, "from agentcore.plugin import tool\nfrom agentcore.tools import ToolContext\n"
    )
    result = _lint_imports(cwd=project, pythonpath=project)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "agentcore_probe.tools -> agentcore.tools (l.2)" in result.stdout
    assert "agentcore.plugin (l." not in result.stdout


def test_the_plugin_contract_accepts_the_public_modules(tmp_path):
    project = _probe_package(
        tmp_path, "from agentcore.models import ToolResult\nfrom agentcore.plugin import tool\n"
    )
    result = _lint_imports(cwd=project, pythonpath=project)
    assert result.returncode == 0, result.stdout + result.stderr
