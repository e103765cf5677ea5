"""The paired bootstrap and the report page, on results written by hand."""

from __future__ import annotations

import pytest
from agentcore_eval.report import render
from agentcore_eval.results import EvalHeader, ItemResult
from agentcore_eval.summary import compare, summarize

from agentcore.plugin import ConfigError

HEADER = EvalHeader(dataset="capitals", metric="em", agent={"kind": "react"})


def result(i: int, right: bool, **extra) -> ItemResult:
    values = {"id": f"q{i}", "input": f"question {i}", "reference": "gold",
              "answer": "gold" if right else "other", "status": "finished",
              "scores": {"em": float(right)}, "steps": 2 + i % 3}  # fmt: skip
    values.update(extra)
    return ItemResult(**values)


def test_a_clear_improvement_has_an_interval_above_zero():
    a = [result(i, i < 20) for i in range(100)]  # 20 right
    b = [result(i, i < 60) for i in range(100)]  # 60 right: 40 fixed, none broken
    c = compare(HEADER, a, HEADER, b, resamples=1000)
    assert (c.a, c.b, c.difference) == (20.0, 60.0, 40.0)
    assert 25 < c.low < 40 < c.high < 55
    assert len(c.fixed) == 40 and c.broken == []


def test_no_difference_has_an_interval_around_zero_and_lists_both_flips():
    a = [result(i, i % 2 == 0) for i in range(60)]
    b = [result(i, i % 2 == 1) for i in range(60)]
    c = compare(HEADER, a, HEADER, b, resamples=1000, seed=3)
    assert c.difference == 0.0 and c.low < 0 < c.high
    assert len(c.fixed) == len(c.broken) == 30


def test_compare_pairs_by_id_and_refuses_what_cannot_be_compared():
    a = [result(i, True) for i in range(5)]
    b = [result(i, True) for i in range(3, 8)]
    c = compare(HEADER, a, HEADER, b, resamples=100)
    assert (c.paired, c.only_a, c.only_b) == (2, 3, 3)
    with pytest.raises(ConfigError, match="no item in common"):
        compare(HEADER, a[:2], HEADER, b[-2:])
    with pytest.raises(ConfigError, match="different metrics"):
        compare(HEADER, a, HEADER.model_copy(update={"metric": "f1"}), b)


def test_the_summary_counts_costs_and_failure_kinds():
    items = [
        result(0, True, tokens_evaluated=100, tokens_generated=10, wall_s=2.0),
        result(1, False, failure="repeated_action", status="max_steps", wall_s=4.0),
        result(2, False, failure="wrong_span", answer="Canadian"),
    ]
    s = summarize(HEADER, items)
    assert s.scores == {"em": pytest.approx(100 / 3)} and s.finished == 2
    assert s.failures == {"repeated_action": 1, "wrong_span": 1}
    assert ("wrong: repeated_action", "1") in s.rows() and s.rows()[0] == ("em", "33.3")


def test_the_report_draws_the_results_and_escapes_their_text():
    items = [result(0, True), result(1, False, input="<script>alert(1)</script>", failure="wrong")]
    html = render(HEADER, items, summarize(HEADER, items))
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count("<svg") == 3 and "Why the wrong ones are wrong" in html
    assert "50.0</span> em" in html
