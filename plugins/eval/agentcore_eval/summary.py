"""What a results file says in one table, and how two of them differ.

:func:`summarize` scores the set with the metric's own corpus rule (the mean of item scores,
or BLEU's pooled counts) and adds what the items cost. :func:`compare` pairs two results
files by item id: the difference B − A of the primary score with a paired bootstrap
confidence interval (the items resampled with replacement, the same resample for both, the
metric recomputed on each — so it holds for corpus metrics too), and the items that flipped.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from statistics import mean

from agentcore.plugin import ConfigError, create_provider
from agentcore_eval.results import EvalHeader, ItemResult

FINISHED = frozenset({"finished"})


@dataclass
class Summary:
    dataset: str
    metric: str
    primary: str
    items: int
    scores: dict[str, float]
    finished: int
    mean_steps: float
    tokens_evaluated: int
    tokens_generated: int
    mean_wall_s: float
    failures: dict[str, int] = field(default_factory=dict)

    def rows(self) -> list[tuple[str, str]]:
        """(what, value) lines for a table, the primary score first."""
        ordered = [self.primary, *(name for name in self.scores if name != self.primary)]
        rows = [(name, f"{self.scores[name]:.1f}") for name in ordered if name in self.scores]
        rows += [
            ("items", str(self.items)),
            ("finished", f"{self.finished}/{self.items}"),
            ("mean steps", f"{self.mean_steps:.2f}"),
            ("tokens evaluated", f"{self.tokens_evaluated:,}"),
            ("tokens generated", f"{self.tokens_generated:,}"),
            ("mean wall", f"{self.mean_wall_s:.1f} s"),
        ]
        rows += [(f"wrong: {kind}", str(count)) for kind, count in sorted(self.failures.items())]
        return rows


def corpus_scores(metric_name: str, items: list[ItemResult]) -> tuple[str, dict[str, float]]:
    metric = create_provider("metric", metric_name)
    answers = [item.answer for item in items]
    references = [item.reference for item in items]
    return metric.primary, metric.corpus(answers, references, [item.scores for item in items])


def summarize(header: EvalHeader, items: list[ItemResult]) -> Summary:
    primary, scores = corpus_scores(header.metric, items)
    return Summary(
        dataset=header.dataset,
        metric=header.metric,
        primary=primary,
        items=len(items),
        scores=scores,
        finished=sum(1 for item in items if item.status in FINISHED),
        mean_steps=mean(item.steps for item in items) if items else 0.0,
        tokens_evaluated=sum(item.tokens_evaluated for item in items),
        tokens_generated=sum(item.tokens_generated for item in items),
        mean_wall_s=mean(item.wall_s for item in items) if items else 0.0,
        failures=dict(Counter(item.failure for item in items if item.failure)),
    )


@dataclass
class Comparison:
    primary: str
    paired: int
    a: float
    b: float
    difference: float
    low: float
    high: float
    confidence: float
    resamples: int
    fixed: list[tuple[ItemResult, ItemResult]]
    """Wrong in A, right in B (each as the pair A, B); ``broken`` the other way round."""
    broken: list[tuple[ItemResult, ItemResult]]
    only_a: int
    only_b: int


def compare(
    header_a: EvalHeader,
    items_a: list[ItemResult],
    header_b: EvalHeader,
    items_b: list[ItemResult],
    *,
    resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> Comparison:
    if header_a.metric != header_b.metric:
        raise ConfigError(
            f"the files are scored with different metrics ({header_a.metric} and "
            f"{header_b.metric}); compare results of one metric"
        )
    by_id_b = {item.id: item for item in items_b}
    pairs = [(a, by_id_b[a.id]) for a in items_a if a.id in by_id_b]
    if not pairs:
        raise ConfigError("the two results files have no item in common (by id)")
    metric = create_provider("metric", header_a.metric)

    def score(items: list[ItemResult]) -> float:
        values = metric.corpus(
            [i.answer for i in items], [i.reference for i in items], [i.scores for i in items]
        )
        return values.get(metric.primary, 0.0)

    side_a, side_b = [a for a, _ in pairs], [b for _, b in pairs]
    a_score, b_score = score(side_a), score(side_b)
    rng = random.Random(seed)
    n = len(pairs)
    differences = []
    for _ in range(resamples):
        picks = [rng.randrange(n) for _ in range(n)]
        differences.append(score([side_b[i] for i in picks]) - score([side_a[i] for i in picks]))
    differences.sort()
    tail = (1 - confidence) / 2
    low = differences[min(len(differences) - 1, int(tail * len(differences)))]
    high = differences[min(len(differences) - 1, int((1 - tail) * len(differences)))]

    def right(item: ItemResult) -> bool:
        return item.scores.get(metric.primary, 0.0) >= 1.0

    return Comparison(
        primary=metric.primary,
        paired=n,
        a=a_score,
        b=b_score,
        difference=b_score - a_score,
        low=low,
        high=high,
        confidence=confidence,
        resamples=resamples,
        fixed=[(a, b) for a, b in pairs if not right(a) and right(b)],
        broken=[(a, b) for a, b in pairs if right(a) and not right(b)],
        only_a=len(items_a) - n,
        only_b=len(items_b) - n,
    )
