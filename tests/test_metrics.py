"""The core metrics against values worked out by hand from the HotpotQA evaluation's rules,
and ``register_metrics`` adding a user's metric beside them."""

from __future__ import annotations

import pytest

from agentcore import plugins
from agentcore.hookspecs import hookimpl
from agentcore.metrics import Accuracy, ExactMatch, Metric, TokenF1, as_number, token_f1
from agentcore.plugins import AgentcorePluginManager, get_plugin_manager


@pytest.mark.parametrize(
    ("answer", "gold", "f1", "precision", "recall"),
    [
        ("comedian", "Canadian comedian", 2 / 3, 1.0, 0.5),
        ("The Beatles!", "beatles", 1.0, 1.0, 1.0),
        ("a Canadian stand-up comedian", "Canadian comedian", 0.8, 2 / 3, 1.0),
        ("yes", "no", 0.0, 0.0, 0.0),
        ("yes it is", "yes", 0.0, 0.0, 0.0),  # the yes/no rule: only "yes" scores on "yes"
        ("no", "no", 1.0, 1.0, 1.0),
        ("", "Paris", 0.0, 0.0, 0.0),
        ("Paris Paris", "Paris", 2 / 3, 0.5, 1.0),  # repeated tokens count once per match
    ],
)
def test_token_f1_follows_the_hotpotqa_rules(answer, gold, f1, precision, recall):
    assert token_f1(answer, gold) == pytest.approx((f1, precision, recall))


def test_exact_match_and_f1_items_and_corpus():
    em, f1 = ExactMatch(), TokenF1()
    answers = ["Arthur's Magazine", "comedian", None]
    golds = ["arthurs magazine", "Canadian comedian", "1844"]
    em_items = [em.item(a, g) for a, g in zip(answers, golds, strict=True)]
    assert [i["em"] for i in em_items] == [1.0, 0.0, 0.0]
    assert em.corpus(answers, golds, em_items) == {"em": pytest.approx(100 / 3)}
    f1_items = [f1.item(a, g) for a, g in zip(answers, golds, strict=True)]
    assert f1.corpus(answers, golds, f1_items)["f1"] == pytest.approx((1 + 2 / 3 + 0) / 3 * 100)
    assert em.corpus([], [], []) == {}


@pytest.mark.parametrize(
    ("answer", "gold", "right"),
    [
        ("18", "18", True),
        ("$18.00", "18", True),
        ("She makes 18 dollars.", "18", True),
        ("5 + 13 = 18", "18", True),
        ("1,200", "1200", True),
        ("17", "18", False),
        ("eighteen", "18", False),
        ("supports", "SUPPORTS", True),
        ("REFUTES.", "SUPPORTS", False),
        ("NOT ENOUGH INFO", "not enough info", True),
        (None, "SUPPORTS", False),
    ],
)
def test_accuracy_compares_labels_and_numbers_by_value(answer, gold, right):
    assert Accuracy().item(answer, gold) == {"accuracy": float(right)}


def test_as_number_reads_the_last_number_or_none():
    assert as_number("−3.5 degrees") == -3.5
    assert as_number("no number here") is None
    assert as_number(".5") == 0.5


class LengthRatio(Metric):
    """A user's metric: answer length over reference length, capped at 1."""

    name, primary = "length", "length"

    def item(self, answer, reference):
        return {"length": min(1.0, len(answer or "") / max(len(reference), 1))}


class UserMetrics:
    @hookimpl
    def register_metrics(self, register):
        register("length", LengthRatio, description="length ratio")


def test_hook_register_metrics_adds_a_metric_beside_the_core_ones(monkeypatch):
    pm = get_plugin_manager()
    assert {"em", "f1", "accuracy"} <= set(pm.registry.names("metric"))
    mine = AgentcorePluginManager(load_entry_points=False)
    assert mine.register(UserMetrics(), name="user-metrics"), mine.failures
    monkeypatch.setattr(plugins, "_default", mine)
    metric = mine.create("metric", "length")
    assert metric.item("abc", "abcdef") == {"length": 0.5}
    assert metric.corpus(["abc"], ["abcdef"], [{"length": 0.5}]) == {"length": 50.0}
    assert mine.registry.get("metric", "length").plugin == "user-metrics"
