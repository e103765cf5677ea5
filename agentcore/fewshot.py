"""Single-call prompting: zero-, one- or few-shot, including chain-of-thought.

The prompt file supplies the instructions, exemplars and question template;
``shots`` picks how many exemplars (all that fit when ``None``). Extras the
prompt may set:

- ``answer_pattern``: the answer is the first group of this regular expression
  in the completion (e.g. ``The answer is (.+?)\\.`` for chain-of-thought);
  otherwise the completion's first line;
- ``choices``: ``a|b|c`` — a classification: the answer is the choice the
  completion starts with, matched case-insensitively and returned as written
  here, so ``" Mixed."`` is ``mixed``;
- ``stop``: ``|``-separated stop sequences;
- ``max_new_tokens``: a cap for this prompt (a one-word label needs few tokens,
  and the cap is also all the room it reserves in the context window).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from agentcore.agent import Agent
from agentcore.backends import LLMBackend
from agentcore.defaults import DEFAULT_BACKEND
from agentcore.errors import ConfigError
from agentcore.models import GenerationConfig, RunStatus, Step, StepKind
from agentcore.run import Run
from agentcore.turns import single_call_turns


class PromptAgent(Agent):
    """One prompt, one completion, one answer."""

    kind = "prompt"
    default_prompt = "qa/brief"
    default_generation = GenerationConfig(max_new_tokens=256, temperature=0.0)

    def __init__(self, backend: str | LLMBackend = DEFAULT_BACKEND, **options: Any) -> None:
        super().__init__(backend, **options)
        pattern = self.template.extras.get("answer_pattern")
        try:
            self.answer_pattern = re.compile(pattern) if pattern else None
        except re.error as exc:
            raise ConfigError(
                f"prompt {self.template.name!r}: answer_pattern is not a valid regex: {exc}"
            ) from None
        self.stops = self.template.stop_sequences()
        choices = self.template.extras.get("choices", "")
        self.choices = tuple(c.strip() for c in choices.split("|") if c.strip())
        cap = self.template.extras.get("max_new_tokens")
        try:
            self.max_new_tokens = int(cap) if cap else None
        except ValueError:
            raise ConfigError(
                f"prompt {self.template.name!r}: max_new_tokens must be an integer, got {cap!r}"
            ) from None

    def _loop(self, run: Run) -> Iterator[Step]:
        config = self.generation.with_stop(*self.stops)
        if self.max_new_tokens is not None and config.max_new_tokens > self.max_new_tokens:
            config = config.model_copy(update={"max_new_tokens": self.max_new_tokens})
        fit = self._fit_prompt(run, self._task_text(run), config.max_new_tokens)
        turns = single_call_turns(fit.prompt, fit.question_at)
        completion = self._generate(run, 1, fit.prompt, config, turns=turns)
        step = self._new_step(1, fit.prompt, completion, kind=StepKind.FINAL)
        text = completion.text.strip()
        step.thought = text
        answer = self._answer(text)
        record = run.record
        if answer:
            record.answer, record.status = answer, RunStatus.FINISHED
        else:
            record.status = RunStatus.ERROR
            record.error = (
                f"the completion {text[:80]!r} is none of: {', '.join(self.choices)}"
                if self.choices
                else "the completion has no answer in the expected form"
            )
            step.parse_error = record.error
        yield step

    def _answer(self, text: str) -> str | None:
        if self.answer_pattern is not None:
            match = self.answer_pattern.search(text)
            text = match.group(1).strip() if match else ""
        elif text:
            text = text.splitlines()[0].strip()
        if self.choices:
            head = text.lstrip(" \t\"'*:-([").lower()
            for choice in sorted(self.choices, key=len, reverse=True):
                if head.startswith(choice.lower()):
                    rest = head[len(choice) :]
                    if not rest or not rest[0].isalnum():
                        return choice
            return None
        return text or None
