"""The core's metrics, registered like any plugin's: ``em``, ``f1``, ``accuracy``."""

from __future__ import annotations

from collections.abc import Callable

from agentcore.hookspecs import hookimpl
from agentcore.metrics import Accuracy, ExactMatch, TokenF1


@hookimpl
def register_metrics(register: Callable[..., None]) -> None:
    for metric in (ExactMatch, TokenF1, Accuracy):
        register(metric.name, metric, description=metric.description)
