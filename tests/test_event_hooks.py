"""Event hooks are called by pluggy itself (its order, its wrappers); failures are reported."""

from __future__ import annotations

import io
import json
import re

import click
import pytest
from click.testing import CliRunner

from agentcore.builtin.scripted import ScriptedBackend
from agentcore.cli.render import LiveRenderer
from agentcore.hook_tracing import trace_hook_calls
from agentcore.hookspecs import hookimpl
from agentcore.models import RunStatus
from agentcore.plugins import AgentcorePluginManager
from agentcore.react import ReActAgent

FINISH = [" I know it.\nAction 1: finish[Paris]"]


def run_with(pm: AgentcorePluginManager, *plugins: object):
    for number, plugin in enumerate(plugins):
        assert pm.register(plugin, name=getattr(plugin, "name", f"plugin{number}")), pm.failures
    agent = ReActAgent(ScriptedBackend(list(FINISH)), tools=[], plugin_manager=pm, max_steps=2)
    return agent.run("What is the capital of France?")


class Named:
    def __init__(self, name: str, calls: list[str]) -> None:
        self.name = name
        self.calls = calls


def test_implementations_run_in_pluggys_order_with_tryfirst_and_trylast(pm):
    calls: list[str] = []

    class Plain(Named):
        @hookimpl
        def on_step(self, run_id, step):
            self.calls.append(self.name)

    class First(Named):
        @hookimpl(tryfirst=True)
        def on_step(self, run_id, step):
            self.calls.append(self.name)

    class Last(Named):
        @hookimpl(trylast=True)
        def on_step(self, run_id, step):
            self.calls.append(self.name)

    # registered: last, early plain, first, late plain — pluggy calls the plain ones
    # last-registered first, with tryfirst before and trylast after all of them
    result = run_with(
        pm, Last("last", calls), Plain("early", calls), First("first", calls), Plain("late", calls)
    )
    assert result.status is RunStatus.FINISHED
    assert calls == ["first", "late", "early", "last"]


def test_hook_wrappers_run_around_the_implementations(pm):
    calls: list[str] = []

    class Wrapper(Named):
        @hookimpl(wrapper=True)
        def on_step(self, run_id, step):
            self.calls.append("before")
            outcome = yield
            self.calls.append("after")
            return outcome

    class Plain(Named):
        @hookimpl
        def on_step(self, run_id, step):
            self.calls.append("plain")

    run_with(pm, Plain("plain", calls), Wrapper("wrapper", calls))
    assert calls == ["before", "plain", "after"]


def test_a_failing_implementation_is_reported_and_the_others_still_run(pm):
    calls: list[str] = []

    class Broken(Named):
        @hookimpl(tryfirst=True)
        def on_step(self, run_id, step):
            raise RuntimeError("storage is down")

    class Plain(Named):
        @hookimpl
        def on_step(self, run_id, step):
            self.calls.append("plain")

    result = run_with(pm, Plain("plain", calls), Broken("broken", calls))
    assert result.status is RunStatus.FINISHED and result.answer == "Paris"
    assert calls == ["plain"]  # called after the broken one failed
    assert result.warnings == [
        "plugin 'broken' failed in hook on_step: RuntimeError: storage is down"
    ]
    assert any(f.name == "broken" and "storage is down" in f.error for f in pm.failures)


def test_a_failing_wrapper_is_reported_with_its_plugin(pm):
    class BrokenWrapper(Named):
        @hookimpl(wrapper=True)
        def on_run_end(self, result):
            raise ValueError("cannot wrap")
            yield  # pragma: no cover

    result = run_with(pm, BrokenWrapper("wrapping", []))
    assert result.status is RunStatus.FINISHED
    assert len(result.warnings) == 1
    assert "failed in hook on_run_end: ValueError: cannot wrap" in result.warnings[0]


def test_the_engine_checks_an_events_arguments_before_any_plugin_runs(pm):
    calls: list[str] = []

    class Plain(Named):
        @hookimpl
        def on_step(self, run_id, step):
            self.calls.append("called")

    pm.register(Plain("plain", calls), name="plain")
    with pytest.raises(TypeError, match=r"engine bug: event 'on_step' takes \(run_id, step\)"):
        pm.emit("on_step", run_id="r1")
    assert calls == []


def test_the_live_view_shows_a_plugin_failure_as_one_line_and_json_carries_it(pm):
    class Broken(Named):
        @hookimpl
        def on_step(self, run_id, step):
            raise RuntimeError("disk full")

    result = run_with(pm, Broken("broken-plugin", []))
    warning = "plugin 'broken-plugin' failed in hook on_step: RuntimeError: disk full"
    assert result.warnings == [warning]
    assert json.loads(result.model_dump_json())["warnings"] == [warning]

    @click.command()
    def show() -> None:
        LiveRenderer(ReActAgent(ScriptedBackend([]), tools=[]), color=False).finish(result)

    out = CliRunner().invoke(show, [])
    assert [line for line in out.output.splitlines() if "disk full" in line] == [
        f"warning: {warning}"
    ]


def test_tracing_shows_each_hook_call_in_pluggys_order_and_its_result(pm):
    """AGENTCORE_TRACE_PLUGINS: pluggy's hook call monitoring, one line per call and result."""

    class Plain(Named):
        @hookimpl
        def on_step(self, run_id, step):
            return self.name

    class Last(Named):
        @hookimpl(trylast=True)
        def on_step(self, run_id, step):
            raise RuntimeError("disk full")

    out = io.StringIO()
    undo = trace_hook_calls(pm.pm, out)
    try:
        run_with(pm, Last("last", []), Plain("early", []), Plain("late", []))
    finally:
        undo()
    lines = out.getvalue().splitlines()
    calls = [line for line in lines if line.startswith("hook on_step(")]
    assert calls and all(line.endswith("→ late, early, last") for line in calls)
    assert "run_id='" in calls[0] and "step=Step(" in calls[0]
    # the failing implementation is guarded: the call returns what the others returned
    assert any(re.match(r"hook on_step returned \['late', 'early'\] \(\d", ln) for ln in lines)
    assert any(line.startswith("hook on_run_end(") for line in lines)


def test_tracing_is_switched_on_by_the_environment(monkeypatch, capsys):
    monkeypatch.setenv("AGENTCORE_TRACE_PLUGINS", "1")
    traced = AgentcorePluginManager(allow={"scripted"})
    ReActAgent(ScriptedBackend(list(FINISH)), tools=[], plugin_manager=traced).run("Capital?")
    assert "hook on_run_start(" in capsys.readouterr().err
    monkeypatch.setenv("AGENTCORE_TRACE_PLUGINS", "0")
    quiet = AgentcorePluginManager(allow={"scripted"})
    ReActAgent(ScriptedBackend(list(FINISH)), tools=[], plugin_manager=quiet).run("Capital?")
    assert "hook " not in capsys.readouterr().err


def test_feedback_reaches_every_plugin_and_a_failing_one_is_reported(pm):
    """on_feedback fires outside a run (a server's rating endpoint): same calling, same guard."""
    got: list[tuple] = []

    class Keeper:
        @hookimpl
        def on_feedback(self, run_id, rating, note, source):
            got.append((run_id, rating, note, source))

    class Broken:
        @hookimpl
        def on_feedback(self, run_id, rating, note, source):
            raise OSError("disk full")

    assert pm.register(Keeper(), name="keeper") and pm.register(Broken(), name="broken")
    failures = pm.emit("on_feedback", run_id="r1", rating="bad", note="wrong", source="api:k1")
    assert got == [("r1", "bad", "wrong", "api:k1")]
    assert [(f.name, f.entry_point) for f in failures] == [("broken", "hook on_feedback")]
    with pytest.raises(TypeError, match="engine bug: event 'on_feedback' takes"):
        pm.emit("on_feedback", run_id="r1", rating="bad")
