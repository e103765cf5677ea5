"""ROUGE and BLEU against values worked out by hand from their definitions."""

from __future__ import annotations

import math

import pytest

from agentcore.plugin import create_provider

REF = "the cat sat on the mat"


def test_rouge_1_2_l_f_measures():
    rouge = create_provider("metric", "rouge")
    # 5 of 6 unigrams shared, 3 of 5 bigrams, longest common subsequence 5 of 6
    scores = rouge.item("the cat is on the mat", REF)
    assert scores == pytest.approx({"rouge1": 5 / 6, "rouge2": 3 / 5, "rougeL": 5 / 6})
    assert rouge.primary == "rougeL"
    assert rouge.item(None, REF) == {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}
    assert rouge.item(REF, REF)["rougeL"] == pytest.approx(1.0)
    assert rouge.item("cats sitting", "the cat sits")["rouge1"] > 0  # stemmed: cat(s), sit(s)


def test_corpus_bleu_is_the_geometric_mean_of_pooled_precisions():
    bleu = create_provider("metric", "bleu")
    answer = "the cat sat on the red mat"  # 6/7, 4/6, 3/5, 2/4 n-gram precisions; longer: BP 1
    expected = 100 * math.exp(sum(math.log(p) for p in (6 / 7, 4 / 6, 3 / 5, 2 / 4)) / 4)
    item = bleu.item(answer, REF)
    assert bleu.corpus([answer], [REF], [item])["bleu"] == pytest.approx(expected, abs=0.01)
    assert item["bleu"] == pytest.approx(expected / 100, abs=0.001)


def test_corpus_bleu_pools_counts_rather_than_averaging_sentences():
    bleu = create_provider("metric", "bleu")
    answers, refs = ["the cat sat on the red mat", "a dog"], [REF, "a dog barked at the mailman"]
    items = [bleu.item(a, r) for a, r in zip(answers, refs, strict=True)]
    corpus = bleu.corpus(answers, refs, items)
    mean_of_sentences = 100 * sum(i["bleu"] for i in items) / 2
    assert corpus["bleu"] != pytest.approx(mean_of_sentences, abs=0.5)
    assert corpus["brevity_penalty"] < 100  # the answers are shorter than the references
    assert bleu.corpus([], [], []) == {}
