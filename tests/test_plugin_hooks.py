"""Every hookspec is exercised by a test, in the manner of datasette's test_plugin_hooks_have_tests.

The provider hooks without a test elsewhere in the core suite are exercised here with a
plugin defined in the test; the contract test then checks that each hookspec has an
implementation in some core test module (a hook nobody tests is a hook that can break).
"""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from agentcore import hookspecs
from agentcore.executors import CodeExecutor
from agentcore.hookspecs import hookimpl
from agentcore.models import Document, ExecutionResult
from agentcore.plugins import AgentcorePluginManager
from agentcore.retrievers import Retriever

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


class Providers:
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


def _hookspec_names() -> list[str]:
    return sorted(n for n in dir(hookspecs) if hasattr(getattr(hookspecs, n), "agentcore_spec"))


@pytest.mark.parametrize("hook", _hookspec_names())
def test_every_hookspec_has_a_test_that_implements_it(hook):
    pattern = re.compile(rf"^\s*def {hook}\(", re.MULTILINE)
    implementing = [p.name for p in TESTS.glob("test_*.py") if pattern.search(p.read_text())]
    assert implementing, f"no test module under tests/ implements the {hook} hook"
