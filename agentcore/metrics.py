"""How an answer is scored against its reference: metrics as plugins (``register_metrics``).

A :class:`Metric` scores one item (:meth:`Metric.item`: named values in 0..1) and a whole set
(:meth:`Metric.corpus`: named values in 0..100, by default the mean of the item values). A
metric that is defined on the corpus only — BLEU's brevity penalty and n-gram counts are
pooled over all items — overrides :meth:`Metric.corpus`. ``primary`` names the value a
summary, a comparison and a progress bar show.

The core registers the three that need nothing beyond the standard library:

* ``em`` and ``f1`` — the HotpotQA evaluation's exact match and token F1 on normalised
  answers (lower case, no punctuation, no articles; an answer of yes / no / noanswer only
  scores where the gold says the same);
* ``accuracy`` — normalised equality of labels (``SUPPORTS``), and of numbers by value
  (``18`` = ``18.0`` = ``$18``), for classification and math word problems.

The eval plugin adds ``rouge`` (ROUGE-1/2/L F-measure, ``rouge-score``) and ``bleu``
(``sacrebleu``'s corpus BLEU).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from agentcore.scoring import exact_match, normalize_answer

YES_NO = frozenset({"yes", "no", "noanswer"})
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?|-?\.\d+")


class Metric:
    """Scores answers against references; subclasses set ``name``/``primary`` and override
    :meth:`item` (and :meth:`corpus` for a metric pooled over the whole set)."""

    name: str = ""
    primary: str = ""
    description: str = ""

    def item(self, answer: str | None, reference: str) -> dict[str, float]:
        """One item's values, each in 0..1 (a missing answer scores 0)."""
        raise NotImplementedError

    def corpus(
        self,
        answers: Sequence[str | None],
        references: Sequence[str],
        items: Sequence[dict[str, float]],
    ) -> dict[str, float]:
        """The set's values in 0..100; ``items`` are :meth:`item`'s, in the same order."""
        if not items:
            return {}
        names = items[0].keys()
        return {name: 100.0 * sum(i.get(name, 0.0) for i in items) / len(items) for name in names}


class ExactMatch(Metric):
    name, primary = "em", "em"
    description = "HotpotQA exact match on normalised answers"

    def item(self, answer: str | None, reference: str) -> dict[str, float]:
        return {"em": float(exact_match(answer, reference))}


class TokenF1(Metric):
    name, primary = "f1", "f1"
    description = "HotpotQA token F1 (with exact match, precision and recall)"

    def item(self, answer: str | None, reference: str) -> dict[str, float]:
        f1, precision, recall = token_f1(answer or "", reference)
        em = float(exact_match(answer, reference))
        return {"f1": f1, "em": em, "precision": precision, "recall": recall}


class Accuracy(Metric):
    name, primary = "accuracy", "accuracy"
    description = "normalised label equality; numbers compared by value"

    def item(self, answer: str | None, reference: str) -> dict[str, float]:
        if answer is None:
            return {"accuracy": 0.0}
        gold, got = as_number(reference), as_number(answer)
        if gold is not None:
            return {"accuracy": float(got is not None and abs(got - gold) < 1e-6)}
        return {"accuracy": float(normalize_answer(answer) == normalize_answer(reference))}


def token_f1(answer: str, reference: str) -> tuple[float, float, float]:
    """F1, precision and recall of normalised tokens, as the HotpotQA evaluation script
    defines them: a yes/no/noanswer answer or gold scores 0 unless both are the same."""
    got, gold = normalize_answer(answer), normalize_answer(reference)
    if (got in YES_NO or gold in YES_NO) and got != gold:
        return 0.0, 0.0, 0.0
    got_tokens, gold_tokens = got.split(), gold.split()
    common = Counter(got_tokens) & Counter(gold_tokens)
    same = sum(common.values())
    if same == 0:
        return 0.0, 0.0, 0.0
    precision, recall = same / len(got_tokens), same / len(gold_tokens)
    return 2 * precision * recall / (precision + recall), precision, recall


def as_number(text: str) -> float | None:
    """The text's number if it is one number (``$1,200.50``, ``18 eggs``), else ``None``;
    the last number where an answer explains itself (``5 + 13 = 18``)."""
    found = _NUMBER.findall(text.replace("−", "-"))
    if not found:
        return None
    try:
        return float(found[-1].replace(",", ""))
    except ValueError:
        return None
