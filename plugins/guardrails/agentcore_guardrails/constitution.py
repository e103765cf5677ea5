"""Constitutional AI at inference: the model critiques its draft answer and revises it.

Bai et al. (2022), "Constitutional AI: Harmlessness from AI Feedback", have the model critique a
response against a principle of a written constitution, then revise it in the light of the
critique. Here the same two calls check each answer, on the run's own backend:

1. **critique** (prompt ``guardrails/critique``): the request, the draft and the principles; the
   model answers with one word and a one-line reason — ``OK`` (keep the draft), ``REVISE`` (the
   request is fine but the draft breaks a principle) or ``REFUSE`` (the request itself asks for
   what the principles forbid). On backends with grammars (llama.cpp) the word is constrained
   by a GBNF grammar, so even a small model writes one of the three; elsewhere the first word
   is read leniently, and an unreadable critique fails closed (refuses).
2. **revise** (prompt ``guardrails/revise``), only after ``REVISE``: the request, the draft and
   the critique; the model writes the revised answer, which replaces the draft.

The constitution is a TOML file of ``[[principles]]`` (``name``, ``text``): the default ships as
``prompts/guardrails/constitution.toml``; ``--set guardrails.constitution=PATH.toml`` (or a
prompt name) uses another. The verdict words and stop sequences are the critique prompt's
``[extras]``, so the whole protocol is data.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agentcore.models import GenerationConfig, Verdict
from agentcore.plugin import (
    ConfigError,
    PromptTemplate,
    RunContext,
    fit_prompt,
    format_validation_error,
    load_prompt,
)
from agentcore_guardrails.settings import GuardrailSettings

BY = "guardrails.constitution"
REVISED = "guardrails.constitution.revised"
"""``run.state`` key: the revision this guardrail wrote, passed as it is when checked again."""


class Principle(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    text: str = Field(min_length=1)


class ConstitutionFile(BaseModel):
    """A constitution file: its principles (other keys, such as a description, are allowed)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    principles: list[Principle] = Field(min_length=1)


@dataclass(frozen=True)
class Constitution:
    source: str
    principles: tuple[Principle, ...]

    def as_text(self) -> str:
        """The principles as the prompts list them."""
        return "\n".join(f"- {p.name}: {' '.join(p.text.split())}" for p in self.principles)


def load_constitution(name_or_path: str) -> Constitution:
    """A constitution by prompt name (``guardrails/constitution``) or path to a TOML file."""
    path = Path(name_or_path).expanduser()
    if name_or_path.endswith(".toml"):
        if not path.is_file():
            raise ConfigError(
                f"constitution file {name_or_path!r} does not exist; give a path to a TOML file "
                "with [[principles]] (name, text), or 'on' for the default constitution"
            )
    else:
        path = Path(load_prompt(name_or_path).source)
    return _load(str(path.resolve()), path.stat().st_mtime_ns)


@lru_cache(maxsize=16)
def _load(path: str, mtime_ns: int) -> Constitution:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        parsed = ConstitutionFile.model_validate(data)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"constitution {path} is not valid TOML: {exc}") from None
    except ValidationError as exc:
        problems = format_validation_error(
            exc, where=f"constitution {path}", model=ConstitutionFile, noun="key"
        )
        raise ConfigError(
            f"{problems} (it needs [[principles]] tables with name and text)"
        ) from None
    return Constitution(path, tuple(parsed.principles))


@dataclass(frozen=True)
class Protocol:
    """The critique's verdict words and stop sequences, read from the critique prompt."""

    ok: str
    revise: str
    refuse: str

    @classmethod
    def of(cls, template: PromptTemplate) -> Protocol:
        return cls(template.extra("ok"), template.extra("revise"), template.extra("refuse"))

    def grammar(self) -> str:
        """GBNF: one of the three words, then a one-line reason."""
        words = " | ".join(json.dumps(word) for word in (self.ok, self.revise, self.refuse))
        return (
            'root ::= " "? verdict " " reason "\\n"?\n'
            f"verdict ::= {words}\n"
            "reason ::= [^\\n]{1,200}\n"
        )

    def read(self, text: str) -> tuple[str | None, str]:
        """(the verdict word or None, the reason) from a critique completion."""
        line = text.strip().splitlines()[0] if text.strip() else ""
        head, _, rest = line.partition(" ")
        word = head.strip(" .:,;!*\"'").upper()
        for verdict in (self.ok, self.revise, self.refuse):
            if word == verdict.upper():
                return verdict, rest.strip(" -–—:")
        return None, line


def as_data(run: RunContext, template: PromptTemplate, text: str) -> str:
    """``text`` (the request, a draft, a critique) made inert for ``template``'s prompt.

    The draft and the request are untrusted: cleaned like every observation
    (:mod:`agentcore.untrusted`), they can neither become special tokens nor forge a
    ``Verdict:`` line of the prompt.
    """
    from agentcore.plugin import Markers, PromptGuard

    markers = Markers.from_prompt(
        [template.question, *template.exemplars, *template.extras.values()],
        [template.instructions],
    )
    return PromptGuard(run.backend.special_tokens(), markers).as_data(text)


def _stops(template: PromptTemplate) -> tuple[str, ...]:
    stops = template.extras.get("stop", "")
    return tuple(s for s in stops.split("|") if s)


def review(run: RunContext, answer: str, settings: GuardrailSettings) -> Verdict | None:
    """Critique ``answer`` against the constitution; revise it or refuse when the critique says so.

    Returns a recorded pass (the critique's reason), a rewrite (the revision), or a refusal.
    """
    if run.state.get(REVISED) == answer:
        return None  # this guardrail's own revision, checked again after the rewrite
    constitution = load_constitution(settings.constitution or "")
    critique_prompt = load_prompt(settings.critique_prompt)
    protocol = Protocol.of(critique_prompt)
    request = run.result.input
    principles = constitution.as_text()
    grammar = protocol.grammar() if run.backend.supports_grammar else None
    critique = _ask(
        run,
        critique_prompt,
        request,
        settings.critique_tokens,
        grammar,
        answer,
        principles=principles,
    )
    verdict, reason = protocol.read(critique)
    if verdict is None:
        return Verdict.refuse(
            f"the critique could not be read ({critique.strip()[:80]!r}); the check did "
            "not complete, so the answer is withheld",
            by=BY,
        )
    reason = reason or "no reason given"
    if verdict == protocol.ok:
        return Verdict.allow(f"critique: {protocol.ok} — {reason}", by=BY)
    if verdict == protocol.refuse:
        return Verdict.refuse(f"the request goes against the constitution: {reason}", by=BY)
    revised = _revise(run, request, answer, reason, principles, settings)
    if not revised:
        return Verdict.refuse(
            f"the draft breaks a principle ({reason}) and no revision came back", by=BY
        )
    run.state[REVISED] = revised
    return Verdict.rewrite(revised, f"revised after the critique: {reason}", by=BY)


def _revise(
    run: RunContext,
    request: str,
    answer: str,
    critique: str,
    principles: str,
    settings: GuardrailSettings,
) -> str:
    template = load_prompt(settings.revise_prompt)
    revision = _ask(
        run,
        template,
        request,
        settings.revision_tokens,
        None,
        answer,
        principles=principles,
        critique=as_data(run, template, critique),
    )
    return revision.strip()


def _ask(
    run: RunContext,
    template: PromptTemplate,
    request: str,
    max_new_tokens: int,
    grammar: str | None,
    draft: str,
    **fields: str,
) -> str:
    """One greedy call of the run's own model on ``template``, request and draft as data."""
    config = GenerationConfig(max_new_tokens=max_new_tokens, temperature=0.0, stop=_stops(template))
    fit = fit_prompt(
        template,
        as_data(run, template, request),
        shots=None,
        count_tokens=run.backend.count_tokens,
        context_window=run.backend.context_window,
        reserve_tokens=max_new_tokens,
        draft=as_data(run, template, draft),
        **fields,
    )
    return run.generate(fit.prompt, config, grammar=grammar).text
