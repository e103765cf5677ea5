"""Every hookspec is exercised by a test, in the manner of datasette's test_plugin_hooks_have_tests.

The provider hooks without a test elsewhere in the core suite are exercised here with a
plugin defined in the test; the contract test then checks that each hookspec has an
implementation in some core test module (a hook nobody tests is a hook that can break).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from pydantic import Field

from agentcore import hookspecs, plugins
from agentcore.builtin.scripted import ScriptedBackend
from agentcore.cli.main import cli as agentcore_cli
from agentcore.errors import ConfigError, NotFoundError
from agentcore.executors import CodeExecutor
from agentcore.hookspecs import hookimpl
from agentcore.memory import InMemoryStore
from agentcore.models import Document, ExecutionResult
from agentcore.options import Options
from agentcore.plugins import AgentcorePluginManager
from agentcore.retrievers import Retriever
from agentcore.tools import tool

TESTS = Path(__file__).resolve().parent


class Doubler(CodeExecutor):
    name = "doubler"

    def run(self, code, *, entrypoint="solution", timeout_s=None):
        return ExecutionResult(value=len(code) * 2)


class OneDocument(Retriever):
    def __init__(self, text: str = "the only passage") -> None:
        self.text = text

    def retrieve(self, query: str, k: int = 5) -> list[Document]:
        return [Document(id="1", text=self.text, source="memory")][:k]


class PathStore(InMemoryStore):
    """Conversations kept per path for the life of the test process."""

    opened: dict[str, PathStore] = {}  # noqa: RUF012  (shared on purpose: one per path)

    @classmethod
    def at(cls, path: str) -> PathStore:
        return cls.opened.setdefault(path, cls())


def remembers(prompt: str) -> str:
    """A chat model that says whether the first message is in its prompt beside the second."""
    seen = "first message" in prompt and "second message" in prompt
    return f" Reply.\nAction: respond[{'I remember' if seen else 'new here'}]"


class GreetingSettings(Options):
    """The ``--set greeting.KEY=VALUE`` section of a test plugin."""

    times: int = Field(1, ge=1, description="How many times to greet.")
    word: str = Field("hi", description="The greeting.")


class Providers:
    @hookimpl
    def register_settings(self, register):
        register("greeting", GreetingSettings, description="how the greeter greets")

    @hookimpl
    def register_stores(self, register):
        register("memo", PathStore.at, description="in memory, one store per path")

    @hookimpl
    def register_backends(self, register):
        register("remembers", lambda **options: ScriptedBackend(responder=remembers))

    @hookimpl
    def register_executors(self, register):
        register("doubler", lambda **options: Doubler(), description="len(code) * 2")

    @hookimpl
    def register_retrievers(self, register):
        register("one", lambda **options: OneDocument(**options), description="one passage")

    @hookimpl
    def register_commands(self, cli):
        @cli.command("hello-from-plugin")
        @click.argument("name")
        def hello(name: str) -> None:
            click.echo(f"hello {name}")


@pytest.fixture
def providers() -> AgentcorePluginManager:
    pm = AgentcorePluginManager(load_entry_points=False)
    assert pm.register(Providers(), name="providers"), pm.failures
    return pm


def test_hook_register_executors_provides_an_executor_by_name(providers):
    executor = providers.create("executor", "doubler")
    assert executor.run("abc").value == 6
    assert providers.registry.get("executor", "doubler").plugin == "providers"


def test_hook_register_retrievers_passes_options_to_the_factory(providers):
    retriever = providers.create("retriever", "one", text="custom")
    assert [d.text for d in retriever.retrieve("anything")] == ["custom"]


def test_hook_register_commands_adds_a_cli_command(providers):
    @click.group()
    def cli() -> None:
        pass

    providers.hook.register_commands(cli=cli)
    out = CliRunner().invoke(cli, ["hello-from-plugin", "world"])
    assert out.exit_code == 0 and out.output == "hello world\n"


def test_hook_register_stores_provides_the_chat_store_for_a_file_suffix(
    providers, monkeypatch, tmp_path
):
    monkeypatch.setattr(plugins, "_default", providers)
    path = str(tmp_path / "chats.memo")

    def chat(message: str) -> str:
        args = ["chat", "-b", "remembers", "--store", path, "-s", "s1", "--message", message]
        result = CliRunner().invoke(agentcore_cli, args, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    assert "agent> new here" in chat("first message")
    assert "agent> I remember" in chat("second message")  # a new process would see the same
    stored = PathStore.opened[path].load("s1")
    assert [e.text for e in stored.entries if e.kind == "user"] == [
        "first message",
        "second message",
    ]
    assert providers.registry.get("store", "memo").plugin == "providers"


def test_a_store_suffix_no_plugin_provides_is_one_clear_error(providers, monkeypatch, tmp_path):
    monkeypatch.setattr(plugins, "_default", providers)
    args = ["chat", "-b", "remembers", "--store", str(tmp_path / "c.sqlite"), "--message", "hi"]
    result = CliRunner().invoke(agentcore_cli, args)
    assert result.exit_code == 1
    assert "no plugin provides a conversation store for .sqlite files (stores: .memo)" in (
        result.output
    )
    assert "Traceback" not in result.output


def test_hook_register_settings_validates_and_coerces_a_section(providers):
    checked = providers.validate_settings({"greeting": {"times": "3"}})
    assert checked == {"greeting": {"times": 3}}
    with pytest.raises(ConfigError) as bad:
        providers.validate_settings({"greeting": {"times": "0"}})
    assert "greeting.times='0': input should be greater than or equal to 1" in str(bad.value)
    with pytest.raises(ConfigError) as typo:
        providers.validate_settings({"greeting": {"time": "2"}})
    assert "unknown setting greeting.time (known: times, word)" in str(typo.value)
    with pytest.raises(ConfigError) as nobody:
        providers.validate_settings({"greetings": {"times": "2"}})
    assert "unknown section greetings (known: greeting)" in str(nobody.value)


def test_a_bad_set_value_is_one_line_before_the_agent_is_built(providers, monkeypatch):
    built = []
    monkeypatch.setattr(plugins, "_default", providers)
    monkeypatch.setattr(ScriptedBackend, "__init__", lambda self, *a, **k: built.append(1))
    args = ["run", "react", "q", "-b", "remembers", "--set", "greeting.times=many"]
    result = CliRunner().invoke(agentcore_cli, args)
    assert result.exit_code == 1, result.output
    assert result.output.splitlines() == [
        "Error: settings: greeting.times='many': input should be a valid integer, unable to "
        "parse string as an integer"
    ]
    assert "Traceback" not in result.output and built == []


def test_plugins_options_lists_each_section_and_provider_option(providers, monkeypatch):
    monkeypatch.setattr(plugins, "_default", providers)
    text = CliRunner().invoke(agentcore_cli, ["plugins", "--options"], catch_exceptions=False)
    assert "settings section greeting (providers; --set)" in text.output
    assert "greeting.times  int = 1  How many times to greet." in text.output
    out = CliRunner().invoke(agentcore_cli, ["plugins", "--options", "--json"])
    entries = {(e["kind"], e["name"]): e for e in json.loads(out.output)}
    rows = {r["name"]: r for r in entries[("setting", "greeting")]["options"]}
    assert rows["word"] == {
        "name": "word",
        "type": "str",
        "default": "'hi'",
        "description": "The greeting.",
    }


def _hook_names() -> list[str]:
    """Every hook pluggy knows for agentcore, read from the plugin manager itself."""
    return sorted(n for n in dir(AgentcorePluginManager(allow=set()).hook) if n[0] != "_")


def test_the_plugin_manager_knows_exactly_the_declared_hookspecs():
    declared = {n for n in dir(hookspecs) if hasattr(getattr(hookspecs, n), "agentcore_spec")}
    assert set(_hook_names()) == declared


@pytest.mark.parametrize("hook", _hook_names())
def test_every_hookspec_has_a_test_that_implements_it(hook):
    pattern = re.compile(rf"^\s*def {hook}\(", re.MULTILINE)
    implementing = [p.name for p in TESTS.glob("test_*.py") if pattern.search(p.read_text())]
    assert implementing, f"no test module under tests/ implements the {hook} hook"


@pytest.mark.parametrize("hook", _hook_names())
def test_every_hookspec_is_documented_in_the_readme(hook):
    readme = (TESTS.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Writing a plugin", 1)[1].split("\n## ", 1)[0]
    assert f"`{hook}" in section, f"hook {hook} is missing from the README's hooks table"


class ToolsFromElsewhere:
    """A toolset provider: the tools a ``source`` names, made when an agent asks for them."""

    def __init__(self) -> None:
        self.made: list[str] = []

    @hookimpl
    def register_toolsets(self, register):
        def connect(source: str, prefix: str = "") -> list:
            self.made.append(source)

            @tool(name=f"{prefix}echo")
            def echo(text: str) -> str:
                """Say the text back."""
                return f"{source}: {text}"

            return [echo]

        register("elsewhere", connect, description="tools from a named source")


def test_hook_register_toolsets_gives_an_agent_spec_its_tools(monkeypatch):
    from agentcore.specs import AgentSpec

    mine = AgentcorePluginManager(allow={"scripted"})
    provider = ToolsFromElsewhere()
    assert mine.register(provider, name="elsewhere"), mine.failures
    assert mine.registry.names("toolset") == ["elsewhere"]
    steps = [" Echo.\nAction 1: x_echo[hi]", " Done.\nAction 2: finish[ok]"]
    toolset = {"kind": "elsewhere", "source": "box-1", "options": {"prefix": "x_"}}
    spec = AgentSpec(
        kind="react", backend="scripted", backend_options={"completions": steps}, tools=[],
        toolsets=[toolset],
    )  # fmt: skip
    agent = spec.build(plugin_manager=mine)
    assert agent.tool_names() == ["x_echo"] and provider.made == ["box-1"]
    result = agent.run("Say hi")
    assert result.steps[0].observation == "box-1: hi" and result.answer == "ok"
    with pytest.raises(NotFoundError, match="unknown toolset 'nowhere'"):
        AgentSpec(kind="react", toolsets=[{"kind": "nowhere", "source": "s"}]).build(mine)
