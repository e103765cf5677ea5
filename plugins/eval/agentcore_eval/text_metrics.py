"""ROUGE and BLEU, the seed's text-generation metrics, from the libraries that define them.

``rouge``: ROUGE-1, ROUGE-2 and ROUGE-L F-measures per item (Google's ``rouge-score``, with
its Porter stemmer), averaged over the set; the primary value is ROUGE-L. ``bleu``:
``sacrebleu``'s corpus BLEU — n-gram counts and the brevity penalty pooled over the whole
set, as BLEU is defined (the mean of sentence BLEUs is a different number); each item also
gets its sentence BLEU, for reading one item and for the bootstrap in ``eval compare``,
which recomputes the corpus value on each resample.
"""

from __future__ import annotations

from collections.abc import Sequence

from agentcore.plugin import Metric


class Rouge(Metric):
    name, primary = "rouge", "rougeL"
    description = "ROUGE-1/2/L F-measure (rouge-score, stemmed)"
    TYPES = ("rouge1", "rouge2", "rougeL")

    def __init__(self) -> None:
        from rouge_score import rouge_scorer

        self._scorer = rouge_scorer.RougeScorer(list(self.TYPES), use_stemmer=True)

    def item(self, answer: str | None, reference: str) -> dict[str, float]:
        if not answer:
            return dict.fromkeys(self.TYPES, 0.0)
        scores = self._scorer.score(reference, answer)  # (target, prediction)
        return {name: scores[name].fmeasure for name in self.TYPES}


class Bleu(Metric):
    name, primary = "bleu", "bleu"
    description = "corpus BLEU (sacrebleu, 13a tokenisation)"

    def __init__(self) -> None:
        import sacrebleu

        self._sacrebleu = sacrebleu

    def item(self, answer: str | None, reference: str) -> dict[str, float]:
        score = self._sacrebleu.sentence_bleu(answer or "", [reference]).score
        return {"bleu": score / 100.0}

    def corpus(
        self,
        answers: Sequence[str | None],
        references: Sequence[str],
        items: Sequence[dict[str, float]],
    ) -> dict[str, float]:
        if not answers:
            return {}
        bleu = self._sacrebleu.corpus_bleu([a or "" for a in answers], [list(references)])
        return {"bleu": bleu.score, "brevity_penalty": 100.0 * bleu.bp}
