"""`agentcore eval`'s items land in the store beside the runs that answered them."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("agentcore_eval", reason="the eval plugin is not installed")

from agentcore_eval.datasets import EvalItem
from agentcore_eval.results import EvalHeader, ResultsFile
from agentcore_eval.runner import evaluate

from agentcore.plugin import AgentSpec


def test_each_eval_item_is_stored_once_and_joins_its_run(store, sql, tmp_path):
    items = [
        EvalItem(id=f"q{i}", input=f"Capital {i}?", reference=ref)
        for i, ref in enumerate(["Paris", "Rome", "Paris"])
    ]
    spec = AgentSpec(kind="prompt", backend="scripted",
                     backend_options={"completions": [" Paris"] * 10})  # fmt: skip
    header = EvalHeader(dataset="capitals", metric="em", agent={"kind": "prompt"})
    results = ResultsFile(tmp_path / "r.jsonl", header)
    evaluate(spec, "em", items[:2], results)
    evaluate(spec, "em", items, ResultsFile(tmp_path / "r.jsonl", header))  # resumed: +1
    rows = sql(
        "SELECT e.item_id, e.dataset, e.metric, e.answer, e.scores, r.status, r.input "
        "FROM eval_results e JOIN runs r USING (run_id) ORDER BY e.item_id"
    )
    assert [(r[0], r[1], r[2], r[3], json.loads(r[4])["em"], r[5]) for r in rows] == [
        ("q0", "capitals", "em", "Paris", 1.0, "finished"),
        ("q1", "capitals", "em", "Paris", 0.0, "finished"),
        ("q2", "capitals", "em", "Paris", 1.0, "finished"),
    ]
    assert [r[6] for r in rows] == ["Capital 0?", "Capital 1?", "Capital 2?"]
    (eval_id,) = {r[0] for r in sql("SELECT eval_id FROM eval_results")}
    assert eval_id == results.eval_id
