"""``agentcore --help`` lists commands from entry-point metadata and imports no plugin module.

Commands are declared in the ``agentcore.commands`` entry-point group and imported when used.
A third-party plugin is installed for real here: a ``.dist-info`` folder and its package in a
folder on ``PYTHONPATH``, which is what pip leaves behind, so the tests see exactly what
``importlib.metadata`` sees. The plugin declares one command as an entry point and adds another
through the ``register_commands`` hook.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PROBE = """
import json, sys
from agentcore.cli.main import main
sys.argv = ["agentcore", *{args!r}]
try:
    main()
except SystemExit as exc:
    code = exc.code
print("\\n@@" + json.dumps({{"code": code, "modules": sorted(sys.modules)}}))
"""


def agentcore(*args: str, env: dict[str, str]) -> tuple[str, list[str], int, str]:
    """Run the CLI in a fresh interpreter: its output, imported modules, exit code, stderr."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=list(args))],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    shown, _, report = out.stdout.rpartition("\n@@")
    data = json.loads(report)
    return shown, data["modules"], data["code"], out.stderr


def plugin_modules() -> set[str]:
    """Every module an installed plugin or command entry point names (and their packages)."""
    found = set()
    for group in ("agentcore", "agentcore.commands"):
        for ep in importlib.metadata.entry_points(group=group):
            module = ep.value.split(":")[0]
            found.add(module)
            if not module.startswith("agentcore."):
                found.add(module.split(".")[0])
    return found


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AGENTCORE_")}
    environment["AGENTCORE_CACHE"] = str(tmp_path / "cache")
    environment["AGENTCORE_STORE"] = "off"
    return environment


@pytest.fixture
def third_party(tmp_path, env) -> Path:
    """An installed plugin distribution ``fakeplug`` on the child's ``PYTHONPATH``."""
    site = tmp_path / "site"
    package = site / "fakeplug"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "cli.py").write_text(
        textwrap.dedent(
            '''
            import click

            @click.command("hello")
            @click.argument("name")
            def hello(name):
                """Greet NAME from a declared command."""
                click.echo(f"hello {name}")

            @click.command("bye")
            def bye():
                """Say goodbye."""
                click.echo("bye")

            broken = "not a command"
            '''
        )
    )
    (package / "plugin.py").write_text(
        textwrap.dedent(
            '''
            import click
            from agentcore.hookspecs import hookimpl

            @hookimpl
            def register_commands(cli):
                @cli.command("hooked")
                def hooked():
                    """Added through the register_commands hook."""
                    click.echo("hooked ran")
            '''
        )
    )
    dist_info = site / "fakeplug-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: fakeplug\nVersion: 1.0\n")
    (dist_info / "entry_points.txt").write_text(
        "[agentcore]\nfakeplug = fakeplug.plugin\n\n"
        "[agentcore.commands]\nhello = fakeplug.cli:hello\n"
    )
    env["PYTHONPATH"] = str(site)
    return dist_info


def test_help_lists_every_declared_command_without_importing_a_plugin(env):
    for attempt in ("cache empty", "cache filled"):
        shown, modules, code, _ = agentcore("--help", env=env)
        assert code == 0, shown
        imported = plugin_modules() & set(modules)
        assert not imported, f"{attempt}: --help imported {sorted(imported)}"
        assert "pluggy" not in modules and "agentcore.plugins" not in modules
        for name in ("run", "chat", "plugins", "tools", "models", "prompts", "runs", "sql"):
            assert f"\n  {name} " in shown, f"{name} missing from:\n{shown}"
        assert "(agentcore-store)" in shown
    assert "importlib.metadata" not in modules  # the second start read the cache


def test_a_command_imports_only_its_own_plugin(env):
    shown, modules, code, _ = agentcore("runs", "--help", env=env)
    assert code == 0 and "List stored runs" in shown
    assert "agentcore_store.cli" in modules
    others = {m for m in plugin_modules() & set(modules) if not m.startswith("agentcore_store")}
    assert not others


def test_third_party_declared_and_hooked_commands(third_party, env):
    shown, modules, code, _ = agentcore("--help", env=env)
    assert code == 0 and "  hello     (fakeplug)" in shown
    assert "hooked" not in shown  # only the hook knows it, and --help imports no plugin
    assert not {m for m in modules if m.startswith("fakeplug")}

    shown, modules, code, _ = agentcore("hello", "world", env=env)
    assert (code, shown) == (0, "hello world\n")
    assert "fakeplug.plugin" not in modules  # the declared command needs no plugin import

    shown, _, code, _ = agentcore("hooked", env=env)  # not declared: the hook is asked
    assert (code, shown) == (0, "hooked ran\n")

    shown, _, code, _ = agentcore("--help-all", env=env)
    assert code == 0
    assert "hello     Greet NAME from a declared command." in shown
    assert "hooked    Added through the register_commands hook." in shown


def test_reinstalling_a_plugin_refreshes_the_cached_commands(third_party, env):
    assert "bye" not in agentcore("--help", env=env)[0]
    entry_points = third_party / "entry_points.txt"
    entry_points.write_text(entry_points.read_text() + "bye = fakeplug.cli:bye\n")
    os.utime(entry_points, ns=(1, 1))  # a different mtime even on coarse-clock filesystems
    shown, _, code, _ = agentcore("--help", env=env)
    assert code == 0 and "  bye       (fakeplug)" in shown
    assert agentcore("bye", env=env)[0] == "bye\n"


def test_disabled_plugins_take_their_commands_with_them(third_party, env):
    env["AGENTCORE_DISABLE_PLUGINS"] = "fakeplug,store"
    shown, _, code, _ = agentcore("--help", env=env)
    assert code == 0
    assert "hello" not in shown and "runs" not in shown
    assert "\n  run " in shown  # agentcore's own commands stay


def test_a_broken_command_entry_point_is_one_clear_error(third_party, env):
    entry_points = third_party / "entry_points.txt"
    entry_points.write_text(
        entry_points.read_text() + "gone = fakeplug.missing:command\nbroken = fakeplug.cli:broken\n"
    )
    _, _, code, err = agentcore("gone", env=env)
    assert code == 1
    assert err.startswith("Error: command 'gone' from fakeplug could not be loaded")
    assert "ModuleNotFoundError" in err and "Traceback" not in err
    _, _, code, err = agentcore("broken", env=env)
    assert code == 1 and "fakeplug.cli:broken is a str, not a click command" in err
    assert agentcore("hello", "x", env=env)[2] == 0  # the others still work
