"""``agentcore config``: what is in effect, and where each value came from."""

from __future__ import annotations

import json
import os
from typing import Any

import click

from agentcore.defaults import DEFAULT_BACKEND

#: The environment variables agentcore and its built-in plugins read, and what each does.
ENVIRONMENT = {
    "AGENTCORE_CONFIG": "the config file to read instead of the user and project files (off: none)",
    "AGENTCORE_CACHE": "the cache directory: models, indexes, runs (default ~/.cache/agentcore)",
    "AGENTCORE_STORE": "the runs store file (default: runs.duckdb in the cache directory)",
    "AGENTCORE_MODEL": "the default model",
    "AGENTCORE_PROMPTS": "directories searched for prompts before the built-in ones",
    "AGENTCORE_PLUGINS": "load only these plugins (comma-separated)",
    "AGENTCORE_DISABLE_PLUGINS": "do not load these plugins (comma-separated)",
    "AGENTCORE_TRACE_FILE": "append each run's record to this JSONL file",
    "AGENTCORE_TRACE_PLUGINS": "1: print every hook call to standard error",
}
_SECRET_WORDS = ("KEY", "PASSWORD", "SECRET", "TOKEN")


@click.command("config")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def config_command(as_json: bool) -> None:
    """Show the settings in effect and where each came from (config files, environment).

    Files read, later ones winning: ~/.config/agentcore/config.toml, then ./agentcore.toml
    (or the file AGENTCORE_CONFIG names). Command-line flags win over both.
    """
    from agentcore.config import config_paths, load_config, user_config_path

    config = load_config()
    values: list[dict[str, Any]] = []
    if "backend" not in config.values:
        values.append({"key": "backend", "value": DEFAULT_BACKEND, "source": "built-in default"})
    values += [{"key": v.key, "value": v.value, "source": v.source} for v in config.values.values()]
    environment = [
        {"name": name, "value": _shown(name, os.environ[name]), "meaning": meaning}
        for name, meaning in ENVIRONMENT.items()
        if name in os.environ
    ] + [
        {"name": name, "value": _shown(name, os.environ[name]), "meaning": ""}
        for name in sorted(os.environ)
        if name.startswith("AGENTCORE_") and name not in ENVIRONMENT
    ]
    searched = [str(user_config_path()), os.path.join(os.getcwd(), "agentcore.toml")]
    if as_json:
        payload = {
            "files_read": [str(p) for p in config_paths()],
            "files_searched": searched,
            "values": values,
            "environment": environment,
        }
        click.echo(json.dumps(payload, indent=2, default=str))
        return
    files = config.files
    click.echo("config files: " + (", ".join(map(str, files)) if files else "none found"))
    if not files:
        click.echo(f"  (looked for {searched[0]} and {searched[1]})")
    for value in values:
        click.echo(f"{value['key']} = {value['value']!r}  ({value['source']})")
    click.echo("environment:" if environment else "environment: no AGENTCORE_* variable set")
    for variable in environment:
        meaning = f"  — {variable['meaning']}" if variable["meaning"] else ""
        click.echo(f"  {variable['name']}={variable['value']}{meaning}")


def _shown(name: str, value: str) -> str:
    return "(set, hidden)" if any(word in name for word in _SECRET_WORDS) else value
