"""Single-call prompting: zero-, one- or few-shot, including chain-of-thought.

The prompt file supplies the instructions, exemplars and question template;
``shots`` picks how many exemplars (all that fit when ``None``). The answer is
what the prompt's ``answer_pattern`` extra captures from the completion (the
first group of a regular expression, e.g. ``The answer is (.+?)\\.`` for
chain-of-thought), or the completion's first line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from agentcore.agent import Agent
from agentcore.backends import LLMBackend
from agentcore.errors import ConfigError
from agentcore.models import GenerationConfig, RunResult, RunStatus, Step, StepKind
from agentcore.prompts import fit_prompt


class PromptAgent(Agent):
    """One prompt, one completion, one answer."""

    kind = "prompt"
    default_prompt = "cot/math"
    default_generation = GenerationConfig(max_new_tokens=256, temperature=0.0)

    def __init__(self, backend: str | LLMBackend = "llama-cpp", **options: Any) -> None:
        super().__init__(backend, **options)
        pattern = self.template.extras.get("answer_pattern")
        try:
            self.answer_pattern = re.compile(pattern) if pattern else None
        except re.error as exc:
            raise ConfigError(
                f"prompt {self.template.name!r}: answer_pattern is not a valid regex: {exc}"
            ) from None
        stops = self.template.extras.get("stop", "")
        self.stops = tuple(s for s in stops.split("|") if s)

    def _loop(self, run: RunResult) -> Iterator[Step]:
        config = self.generation.with_stop(*self.stops)
        fit = fit_prompt(
            self.template,
            run.input,
            shots=self.shots,
            count_tokens=self.backend.count_tokens,
            context_window=self.backend.context_window,
            reserve_tokens=config.max_new_tokens,
        )
        run.shots = fit.shots_used
        if fit.note:
            run.notes.append(fit.note)
        completion = self._generate(run, 1, fit.prompt, config)
        step = self._new_step(1, fit.prompt, completion, kind=StepKind.FINAL)
        text = completion.text.strip()
        step.thought = text
        if self.answer_pattern is not None:
            match = self.answer_pattern.search(text)
            answer = match.group(1).strip() if match else None
        else:
            answer = text.splitlines()[0].strip() if text else None
        if answer:
            run.answer, run.status = answer, RunStatus.FINISHED
        else:
            run.status = RunStatus.ERROR
            run.error = "the completion has no answer in the expected form"
            step.parse_error = run.error
        yield step
