"""Plugin discovery through entry points: loading, failures, allow/deny lists, validation."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from agentcore.errors import NotFoundError
from agentcore.hookspecs import hookimpl
from agentcore.plugins import AgentcorePluginManager, get_plugin_manager
from agentcore.tools import tool


def make_distribution(root: Path, name: str, entry_points: dict[str, str], modules: dict) -> None:
    """Write an installed-looking distribution (dist-info + modules) under ``root``."""
    dist_info = root / f"{name}-1.2.3.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.2.3\n")
    lines = ["[agentcore]"] + [f"{k} = {v}" for k, v in entry_points.items()]
    (dist_info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    for module, source in modules.items():
        (root / f"{module}.py").write_text(textwrap.dedent(source))


GOOD = """
from agentcore.hookspecs import hookimpl
from agentcore.tools import tool

@tool
def shout(text: str) -> str:
    '''Shout the text.'''
    return text.upper()

@hookimpl
def register_tools(register):
    register(shout)
"""

BROKEN = """
import module_that_does_not_exist
"""

UNKNOWN_HOOK = """
from agentcore.hookspecs import hookimpl

@hookimpl
def register_toolz(register):
    pass
"""


@pytest.fixture
def plugin_site(tmp_path, monkeypatch):
    make_distribution(
        tmp_path,
        "third-party-plugins",
        {"good": "good_plugin", "broken": "broken_plugin", "typo": "typo_plugin"},
        {"good_plugin": GOOD, "broken_plugin": BROKEN, "typo_plugin": UNKNOWN_HOOK},
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_builtin_plugins_load_through_entry_points():
    pm = get_plugin_manager()
    names = {info.name for info in pm.plugins()}
    assert {"scripted", "jsonl-trace"} <= names
    scripted = next(i for i in pm.plugins() if i.name == "scripted")
    assert scripted.distribution == "agentcore"
    assert scripted.provides == {"backend": ["scripted"]}


def test_broken_plugin_is_reported_and_the_rest_load(plugin_site):
    pm = AgentcorePluginManager()
    failures = {f.name: f for f in pm.failures}
    assert "broken" in failures
    assert failures["broken"].entry_point == "broken_plugin"
    assert "module_that_does_not_exist" in failures["broken"].error
    assert "typo" in failures
    assert "unknown hook(s) register_toolz" in failures["typo"].error
    good = next(i for i in pm.plugins() if i.name == "good")
    assert good.version == "1.2.3" and good.distribution == "third-party-plugins"
    assert pm.tool("shout").invoke("hi").observation == "HI"
    assert "scripted" in pm.registry.names("backend")


def test_allow_and_deny_lists(plugin_site, monkeypatch):
    only = AgentcorePluginManager(allow=["good"])
    assert [i.name for i in only.plugins()] == ["good"]
    assert only.failures == []  # the broken ones were never imported
    monkeypatch.setenv("AGENTCORE_DISABLE_PLUGINS", "broken, typo ,scripted")
    denied = AgentcorePluginManager()
    names = {i.name for i in denied.plugins()}
    assert "good" in names and "scripted" not in names
    assert not {"broken", "typo"} & {f.name for f in denied.failures}
    monkeypatch.setenv("AGENTCORE_PLUGINS", "scripted")
    assert [i.name for i in AgentcorePluginManager().plugins()] == []  # scripted also denied


def test_a_tool_whose_plugin_failed_to_load_is_named_with_the_failure(plugin_site):
    pm = AgentcorePluginManager(allow={"good", "broken"})
    with pytest.raises(NotFoundError) as info:
        pm.tool("whisper")  # what the broken plugin would have provided
    message = str(info.value)
    assert "unknown tool 'whisper'; available: shout" in message
    assert "failed to load and may provide it: broken (" in message
    assert "module_that_does_not_exist" in message


def test_a_plain_function_as_a_tool_says_to_decorate_it():
    from agentcore.builtin.scripted import ScriptedBackend
    from agentcore.errors import ConfigError
    from agentcore.react import ReActAgent

    def weather(city: str) -> str:
        return city

    pm = AgentcorePluginManager(allow={"scripted"})
    with pytest.raises(ConfigError, match=r"'weather' is a plain function; decorate it with @tool"):
        ReActAgent(ScriptedBackend([]), tools=[weather], plugin_manager=pm)
    with pytest.raises(ConfigError, match="neither a tool name nor a Tool"):
        ReActAgent(ScriptedBackend([]), tools=[42], plugin_manager=pm)


def test_unknown_name_error_lists_what_exists():
    pm = AgentcorePluginManager(allow={"scripted"})
    with pytest.raises(NotFoundError) as info:
        pm.create("backend", "gpt-17")
    message = str(info.value)
    assert "unknown backend 'gpt-17'" in message and "available: scripted" in message
    assert "agentcore plugins" in message


def test_duplicate_provider_is_reported_not_silently_replaced():
    @tool
    def echo(text: str) -> str:
        """Echo."""
        return text

    class First:
        @hookimpl
        def register_tools(self, register):
            register(echo)

    class Second:
        @hookimpl
        def register_tools(self, register):
            def other(text: str) -> str:
                return "other"

            register(tool(other, name="echo", description="Other echo."))

    pm = AgentcorePluginManager(load_entry_points=False, plugins=[])
    pm.register(First(), name="first")
    pm.register(Second(), name="second")
    assert pm.registry.get("tool", "echo").plugin == "first"
    assert any("already provided by plugin 'first'" in f.error for f in pm.failures)


def test_hookimpl_with_wrong_arguments_is_rejected():
    class Wrong:
        @hookimpl
        def on_step(self, run_id, step, extra_argument):
            pass

    pm = AgentcorePluginManager(load_entry_points=False)
    assert pm.register(Wrong(), name="wrong") is False
    assert "extra_argument" in pm.failures[0].error


def test_cli_lists_plugins_and_failures(plugin_site):
    env = {"PYTHONPATH": str(plugin_site), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-m", "agentcore.cli", "plugins"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert "good (third-party-plugins 1.2.3)" in out.stdout
    assert "tools: shout" in out.stdout
    assert "FAILED broken [broken_plugin]: ModuleNotFoundError" in out.stderr
    tools = subprocess.run(
        [sys.executable, "-m", "agentcore.cli", "tools"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert "shout[text]  (plugin good)" in tools.stdout
    assert "Shout the text." in tools.stdout
