"""The core stays small: importing it, and starting the CLI, loads no heavy library."""

import json
import subprocess
import sys

HEAVY = ["torch", "transformers", "llama_cpp", "duckdb", "RestrictedPython", "numpy", "wikipedia"]

PROBE = """
import json, sys
{action}
print(json.dumps(sorted(m for m in {heavy} if m in sys.modules)))
"""


def loaded_after(action: str) -> list[str]:
    code = PROBE.format(action=action, heavy=HEAVY)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_agentcore_is_light():
    assert loaded_after("import agentcore; agentcore.ReActAgent; agentcore.tool") == []


def test_cli_help_with_all_plugins_loaded_is_light():
    action = (
        "from agentcore.cli.main import cli, _load_commands\n"
        "_load_commands()\n"
        "try:\n    cli(['--help'])\nexcept SystemExit:\n    pass\n"
        "from agentcore.plugins import get_plugin_manager\n"
        "get_plugin_manager().registry\n"
    )
    assert loaded_after(action) == []
