"""Hook implementations of the ``eval`` plugin: the ``rouge`` and ``bleu`` metrics (their
libraries load when a metric is made, not when agentcore starts). ``agentcore eval`` is
declared in the ``agentcore.commands`` entry points."""

from __future__ import annotations

from collections.abc import Callable

from agentcore.plugin import hookimpl


def make_rouge():
    from agentcore_eval.text_metrics import Rouge

    return Rouge()


def make_bleu():
    from agentcore_eval.text_metrics import Bleu

    return Bleu()


@hookimpl
def register_metrics(register: Callable[..., None]) -> None:
    register("rouge", make_rouge, description="ROUGE-1/2/L F-measure (rouge-score, stemmed)")
    register("bleu", make_bleu, description="corpus BLEU (sacrebleu)")
