"""The shipped datasets load with their references; a user's JSONL is checked line by line."""

from __future__ import annotations

import json

import pytest
from agentcore_eval.datasets import FEVER_LABELS, detokenize, load_dataset, subject_of

from agentcore.plugin import ConfigError


def test_the_shipped_datasets_and_their_defaults():
    hotpot = load_dataset("hotpotqa")
    assert len(hotpot.items) == 600 and hotpot.metric == "f1" and hotpot.agent == "react"
    assert len({i.id for i in hotpot.items}) == 600
    gsm = load_dataset("gsm8k")
    assert len(gsm.items) == 1319 and gsm.metric == "accuracy" and gsm.agent == "pal"
    assert gsm.items[0].reference == "18"  # Janet's ducks: the number after ####
    assert all(i.reference.lstrip("-").replace(".", "").isdigit() for i in gsm.items)
    fever = load_dataset("fever")
    assert len(fever.items) == 354 and {i.reference for i in fever.items} <= set(FEVER_LABELS)
    assert sum(i.reference == "SUPPORTS" for i in fever.items) == 177
    assert fever.items[0].input == "Daggering is associated with the genre of death metal."
    assert load_dataset("hotpotqa", metric="em").metric == "em"


def test_the_fever_corpus_holds_each_evidence_sentence_under_a_searchable_title():
    from agentcore_wikipedia.corpus import load_path

    fever = load_dataset("fever")
    corpus_path = fever.agent_specs["react"]["settings"]["wikipedia"]["corpus"]
    corpus = load_path(corpus_path)
    titles = {page.title for page in corpus.pages}
    assert {"Daggering", "Penélope Cruz", "Michael Vick", "Paramore"} <= titles
    text = " ".join(" ".join(page.sentences) for page in corpus.pages)
    assert "associated with the 2006 wave of dancehall music" in text
    assert "The Cretaceous ended with a large mass extinction" in text
    assert "mass reproduction" not in text  # FEVER-Symmetric's counterfactual sentence
    assert (
        "Daggering is associated with the genre of death metal" not in text
    )  # claims are not evidence


@pytest.mark.parametrize(
    ("sentence", "subject"),
    [
        ("Mary of Teck 's son never abdicated the throne .", "Mary of Teck"),
        ("In 2004 Paramore was formed .", "Paramore"),
        ("The Cretaceous ended .", "Cretaceous"),
        ("It is of recent origin .", None),
        ("Lost is a political party .", "Lost"),
    ],
)
def test_a_claims_subject_names_its_page(sentence, subject):
    assert subject_of(detokenize(sentence)) == subject


def write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return str(path)


def test_a_user_jsonl_with_input_and_reference(tmp_path):
    path = write(
        tmp_path / "qa.jsonl",
        [{"input": "a?", "reference": "b"}, {"id": "x", "input": "c?", "reference": "d"}],
    )
    data = load_dataset(path, metric="rouge")
    assert [(i.id, i.input, i.reference) for i in data.items] == [
        ("line-1", "a?", "b"),
        ("x", "c?", "d"),
    ]
    assert data.metric == "rouge" and data.agent == "prompt"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"input": "a?"}\n', "qa.jsonl:1: needs string fields input and reference"),
        ('{"input": "a?", "reference": "b"}\nnot json\n', "qa.jsonl:2: not JSON"),
        ('["a", "b"]\n', "qa.jsonl:1: a line must be a JSON object"),
        (
            '{"id": 1, "input": "a", "reference": "b"}\n'
            '{"id": 1, "input": "c", "reference": "d"}\n',
            "qa.jsonl:2: id '1' is used twice",
        ),
        ("\n", "qa.jsonl: no items"),
    ],
)
def test_a_bad_user_jsonl_names_the_line_and_the_fault(tmp_path, content, message):
    (tmp_path / "qa.jsonl").write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_dataset(str(tmp_path / "qa.jsonl"), metric="em")


def test_a_user_jsonl_needs_a_metric_and_an_unknown_name_is_refused(tmp_path):
    path = write(tmp_path / "qa.jsonl", [{"input": "a?", "reference": "b"}])
    with pytest.raises(ConfigError, match="give --metric"):
        load_dataset(path)
    with pytest.raises(ConfigError, match=r"no dataset 'hotpot'.*hotpotqa, fever, gsm8k"):
        load_dataset("hotpot")
    with pytest.raises(ConfigError, match="no such dataset file"):
        load_dataset(str(tmp_path / "missing.jsonl"), metric="em")
