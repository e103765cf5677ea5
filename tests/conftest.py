"""Core test helpers: a tiny in-memory encyclopedia as tools, and the scripted backend."""

from __future__ import annotations

import pytest

from agentcore.builtin.scripted import ScriptedBackend
from agentcore.plugins import AgentcorePluginManager
from agentcore.tools import ToolContext, tool

PAGES = {
    "Arthur's Magazine": "Arthur's Magazine (1844–1846) was an American literary periodical.",
    "First for Women": "First for Women is a woman's magazine started in 1989.",
}


@tool
def search(entity: str, ctx: ToolContext) -> str:
    """Search a tiny encyclopedia."""
    ctx.state["searches"] = ctx.state.get("searches", 0) + 1
    return PAGES.get(entity, f"Could not find {entity}. Similar: {sorted(PAGES)}")


@tool
def lookup(keyword: str) -> str:
    """Look up a keyword."""
    return "No more results."


@pytest.fixture
def pm() -> AgentcorePluginManager:
    """A plugin manager with only the core's entry-point plugins (scripted, tracing)."""
    return AgentcorePluginManager(allow={"scripted", "jsonl-trace"})


@pytest.fixture
def encyclopedia_tools():
    return [search, lookup]


@pytest.fixture
def scripted():
    def make(*completions: str, **kwargs) -> ScriptedBackend:
        return ScriptedBackend(list(completions), **kwargs)

    return make
