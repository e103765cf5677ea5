"""One line per evaluated item: what was asked, what came back, how it scored, what it cost.

The results file is the eval's state. Each finished item is appended as one JSON line and
flushed at once, so an eval that is interrupted (Ctrl-C, a crash, a killed machine) resumes
from it: the items already in the file are not run again, and an item is never written
twice (a half-written last line, from a crash mid-write, is dropped and redone). The file's
first line records what was evaluated (dataset, metric, agent spec) so a resume with other
settings is refused rather than mixing two evals in one table.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from agentcore.models import RunResult
from agentcore.plugin import ConfigError, normalize_answer


class EvalHeader(BaseModel):
    """The results file's first line: what these results are of."""

    kind: str = "agentcore-eval"
    dataset: str
    metric: str
    agent: dict[str, Any]
    seed: int | None = None


class ItemResult(BaseModel):
    id: str
    input: str
    reference: str
    answer: str | None
    status: str
    scores: dict[str, float]
    failure: str | None = Field(
        None, description="Why a wrong item went wrong (see failure_kind); None when right."
    )
    steps: int = 0
    tokens_evaluated: int = 0
    tokens_prompt: int = 0
    tokens_generated: int = 0
    wall_s: float = 0.0
    run_id: str | None = None
    error: str | None = None
    worker: str | None = None


def failure_kind(result: RunResult, answer: str | None, reference: str, right: bool) -> str | None:
    """What kind of wrong: ``no_answer``, ``repeated_action`` (an action taken again),
    ``wrong_span`` (a part or a superset of the gold answer), ``error`` or ``wrong``."""
    if right:
        return None
    if result.status.value == "error":
        return "error"
    actions = [
        s.action.raw or f"{s.action.tool}{s.action.arguments}" for s in result.steps if s.action
    ]
    if len(actions) != len(set(actions)):
        return "repeated_action"
    if not answer:
        return "no_answer"
    got, gold = set(normalize_answer(answer).split()), set(normalize_answer(reference).split())
    if got and gold and (got < gold or gold < got):
        return "wrong_span"
    return "wrong"


def item_result(
    item_id: str, reference: str, result: RunResult, scores: dict[str, float], primary: str
) -> ItemResult:
    right = scores.get(primary, 0.0) >= 1.0
    usage = result.usage
    return ItemResult(
        id=item_id,
        input=result.input,
        reference=reference,
        answer=result.answer,
        status=result.status.value,
        scores=scores,
        failure=failure_kind(result, result.answer, reference, right),
        steps=len(result.steps),
        tokens_evaluated=usage.prompt_tokens_evaluated,
        tokens_prompt=usage.prompt_tokens,
        tokens_generated=usage.completion_tokens,
        wall_s=round(result.duration_s, 3),
        run_id=result.run_id,
        error=result.error,
    )


class ResultsFile:
    """Appends item results to a JSONL file; reads back what an earlier run wrote."""

    def __init__(self, path: Path, header: EvalHeader) -> None:
        self.path = path
        self.header = header
        #: Names this results file in the run store (its place and what it evaluates).
        self.eval_id = _digest(f"{path.resolve()}\n{header.model_dump_json(exclude={'seed'})}")
        self._lock = threading.Lock()
        self.done: dict[str, ItemResult] = {}
        if path.exists() and path.stat().st_size:
            self._resume()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("w", encoding="utf-8") as handle:
                handle.write(header.model_dump_json() + "\n")

    def _resume(self) -> None:
        header, items = read_results(self.path)
        ours = self.header.model_dump(exclude={"seed"})
        if header.model_dump(exclude={"seed"}) != ours:
            raise ConfigError(
                f"{self.path} holds another eval ({header.dataset}, metric {header.metric}, "
                f"agent {header.agent}); give another --out, or delete it to start again"
            )
        self.done = {item.id: item for item in items}
        text = self.path.read_bytes()
        if text and not text.endswith(b"\n"):  # a line cut off by a crash: drop it, redo it
            with self.path.open("r+b") as handle:
                handle.truncate(text.rfind(b"\n") + 1)

    def add(self, result: ItemResult) -> bool:
        """Append ``result``; ``False`` (nothing written) when its item is already there."""
        with self._lock:
            if result.id in self.done:
                return False
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(result.model_dump_json() + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            self.done[result.id] = result
            return True


def _digest(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()[:12]


def read_results(path: Path) -> tuple[EvalHeader, list[ItemResult]]:
    """The header and the complete item lines of a results file (a cut-off last line is
    skipped; any other bad line is an error naming it)."""
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such results file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc})") from None
    complete, last = lines[:-1], lines[-1]  # text after the last newline was cut off
    del last
    if not complete:
        raise ConfigError(f"{path}: empty; not an agentcore eval results file")
    try:
        header = EvalHeader.model_validate_json(complete[0])
    except ValueError:
        raise ConfigError(f"{path}:1: not an agentcore eval results file") from None
    items = []
    for number, line in enumerate(complete[1:], 2):
        if not line.strip():
            continue
        try:
            items.append(ItemResult.model_validate(json.loads(line)))
        except ValueError as exc:
            raise ConfigError(f"{path}:{number}: not an item result ({exc})") from None
    return header, items
