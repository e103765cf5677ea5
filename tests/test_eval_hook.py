"""The ``on_eval_result`` hook: fired once per item an eval writes, not for resumed ones."""

from __future__ import annotations

import pytest

from agentcore import plugins
from agentcore.hookspecs import hookimpl
from agentcore.plugins import AgentcorePluginManager
from agentcore.specs import AgentSpec

eval_plugin = pytest.importorskip("agentcore_eval.runner", reason="agentcore-eval not installed")


class Recorder:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str, str, float]] = []

    @hookimpl
    def on_eval_result(self, eval_id, dataset, metric, result):
        self.seen.append((eval_id, dataset, metric, result["id"], result["scores"]["em"]))


def test_hook_on_eval_result_fires_once_per_written_item(monkeypatch, tmp_path):
    from agentcore_eval.datasets import EvalItem
    from agentcore_eval.results import EvalHeader, ResultsFile

    recorder = Recorder()
    pm = AgentcorePluginManager(allow={"scripted", "metrics"})
    pm.register(recorder, name="recorder")
    monkeypatch.setattr(plugins, "_default", pm)
    spec = AgentSpec(kind="prompt", backend="scripted",
                     backend_options={"completions": [" Oslo"] * 5})  # fmt: skip
    items = [EvalItem(id=f"q{i}", input="Capital of Norway?", reference="Oslo") for i in range(3)]
    header = EvalHeader(dataset="capitals", metric="em", agent={"kind": "prompt"})
    results = ResultsFile(tmp_path / "r.jsonl", header)
    eval_plugin.evaluate(spec, "em", items[:2], results)
    eval_plugin.evaluate(spec, "em", items, ResultsFile(tmp_path / "r.jsonl", header))
    assert recorder.seen == [
        (results.eval_id, "capitals", "em", "q0", 1.0),
        (results.eval_id, "capitals", "em", "q1", 1.0),
        (results.eval_id, "capitals", "em", "q2", 1.0),
    ]
