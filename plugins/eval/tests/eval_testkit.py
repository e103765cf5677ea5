"""Small datasets and agents on the scripted backend (the engine's test tool): the eval's own
logic — resume, threads, Dask, compare — is what these tests check, not a model."""

from __future__ import annotations

from agentcore_eval.datasets import EvalItem

from agentcore.plugin import AgentSpec

CITIES = ["Paris", "Rome", "Paris", "Oslo", "Paris", "Lima", "Paris", "Bern"]


def items(n: int = 8) -> list[EvalItem]:
    return [
        EvalItem(id=f"q{i}", input=f"Capital number {i}?", reference=CITIES[i % len(CITIES)])
        for i in range(n)
    ]


def always(answer: str, n: int = 200, delay_s: float = 0.0) -> AgentSpec:
    """A prompt agent whose "model" answers ``answer`` to everything."""
    return AgentSpec(
        kind="prompt",
        backend="scripted",
        backend_options={"completions": [f" {answer}"] * n, "delay_s": delay_s},
    )
