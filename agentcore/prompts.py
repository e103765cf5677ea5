"""Prompts are data: TOML files under ``prompts/``, loaded by name.

Search order: directories in ``AGENTCORE_PROMPTS`` (``os.pathsep``-separated),
then the copy installed inside the wheel (``agentcore/_prompts``), then the
``prompts/`` folder of a source checkout. A name may also be a path to a
``.toml`` file.

:func:`fit_prompt` chooses how many exemplars to keep: the first ``shots``
(all when ``None``), then drops more from the end while the prompt plus the
room the loop needs would overflow the backend's context window, and says so.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from agentcore.errors import ConfigError, NotFoundError, PromptTooLongError
from agentcore.models import PromptFit

PROMPTS_ENV = "AGENTCORE_PROMPTS"

_LEADING_LABEL = re.compile(
    r"^\s*(?P<label>[A-Za-z][\w-]*(?: [A-Za-z][\w-]*)?)(?P<numbered>[ \t]+\$\{?step\}?)?[ \t]*:"
)


@dataclass(frozen=True)
class PromptTemplate:
    """A loaded prompt file."""

    name: str
    source: str
    description: str
    instructions: str
    exemplars: tuple[str, ...]
    question: str
    exemplar_separator: str = "\n"
    extras: Mapping[str, str] = field(default_factory=dict)

    def sha256(self) -> str:
        """A hash of everything the prompts are made from (a resumed run checks it)."""
        import hashlib
        import json

        parts = [
            self.instructions, list(self.exemplars), self.question, self.exemplar_separator,
            sorted(self.extras.items()),
        ]  # fmt: skip
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()

    def extra(self, key: str, **values: Any) -> str:
        """Fill in one of the prompt's extra texts (e.g. the final-answer nudge)."""
        try:
            text = self.extras[key]
        except KeyError:
            raise ConfigError(
                f"prompt {self.name!r} ({self.source}) has no [extras] entry {key!r}, "
                "which this agent needs"
            ) from None
        return _fill(text, values, f"{self.name}:extras.{key}")

    def label(self, key: str, default: str | None = None) -> str | None:
        """The transcript label a part of the prompt starts with: ``Thought`` for
        ``step_prefix = "Thought $step:"``, ``Question`` for the question template.

        ``key`` is ``question`` or an ``[extras]`` key. The loops read their transcript
        format from these labels (the parser, the action grammar, stop sequences, the live
        display), so renaming a label in the prompt file renames it everywhere.
        """
        text = self.question if key == "question" else self.extras.get(key)
        match = _LEADING_LABEL.match(text) if text else None
        return match.group("label") if match else default

    def numbered(self, key: str) -> bool:
        """Whether the part's label carries the step number (``Thought $step:``)."""
        text = self.question if key == "question" else self.extras.get(key, "")
        match = _LEADING_LABEL.match(text)
        return bool(match and match.group("numbered"))

    def stop_sequences(self, *keys: str) -> tuple[str, ...]:
        """Where the model must stop: the ``stop`` extra (``|``-separated) when the prompt
        sets one, else a new line starting with the label of each part in ``keys`` (the parts
        of the transcript the engine writes, which the model must never write itself)."""
        explicit = self.extras.get("stop")
        if explicit is not None:
            return tuple(stop for stop in explicit.split("|") if stop)
        stops = []
        for key in keys:
            label = self.label(key)
            if label is not None:
                stops.append("\n" + label + ("" if self.numbered(key) else ":"))
        return tuple(dict.fromkeys(stops))

    def render(self, question: str, shots: int | None = None, **values: Any) -> str:
        """Instructions, the first ``shots`` exemplars, and the question."""
        return "".join(self.render_parts(question, shots, **values))

    def render_parts(
        self, question: str, shots: int | None = None, **values: Any
    ) -> tuple[str, str]:
        """:meth:`render` in two parts: the head (instructions, exemplars) and the asking."""
        chosen = self.exemplars if shots is None else self.exemplars[:shots]
        parts = [_fill(self.instructions, values, f"{self.name}:instructions").strip() + "\n"]
        if chosen:
            parts.append(self.exemplar_separator.join(e.rstrip("\n") + "\n" for e in chosen))
        head = "\n".join(parts)
        values = {**values, "question": question}
        return head + "\n", _fill(self.question, values, f"{self.name}:question")


def _fill(text: str, values: Mapping[str, Any], where: str) -> str:
    try:
        return Template(text).substitute(values)
    except KeyError as exc:
        raise ConfigError(
            f"prompt template {where} uses ${exc.args[0]}, which this agent does not provide; "
            f"it provides: {', '.join('$' + k for k in sorted(values))}"
        ) from None
    except ValueError as exc:
        raise ConfigError(f"prompt template {where} is malformed: {exc}") from None


def prompt_dirs() -> list[Path | Any]:
    """Where prompts are looked up, in order."""
    dirs: list[Path | Any] = [
        Path(p).expanduser() for p in os.environ.get(PROMPTS_ENV, "").split(os.pathsep) if p
    ]
    installed = resources.files("agentcore") / "_prompts"
    if installed.is_dir():
        dirs.append(installed)
    checkout = Path(__file__).resolve().parent.parent / "prompts"
    if checkout.is_dir():
        dirs.append(checkout)
    return dirs


def list_prompts() -> list[str]:
    names: set[str] = set()
    for root in prompt_dirs():
        for sub in root.iterdir():
            if sub.is_dir():
                names.update(
                    f"{sub.name}/{f.name[:-5]}" for f in sub.iterdir() if f.name.endswith(".toml")
                )
    return sorted(names)


def load_prompt(name: str) -> PromptTemplate:
    """Load a prompt by name (``react/wikipedia``) or by path to a TOML file."""
    if name.endswith(".toml"):  # a file path, not a name
        path = Path(name).expanduser()
        if not path.is_file():
            what = "is a directory" if path.is_dir() else "does not exist"
            raise ConfigError(
                f"prompt file {name} {what} (looked at {path.resolve()}); give the path to a "
                "TOML prompt file, or a prompt name without .toml (`agentcore prompts` lists them)"
            )
        return _parse(name, str(path), path.read_text(encoding="utf-8"))
    for root in prompt_dirs():
        candidate = root.joinpath(*f"{name}.toml".split("/"))
        if candidate.is_file():
            return _parse(name, str(candidate), candidate.read_text(encoding="utf-8"))
    raise NotFoundError(
        "prompt", name, list_prompts(), f"Add {name}.toml to a directory in ${PROMPTS_ENV}"
    )


def _parse(name: str, source: str, text: str) -> PromptTemplate:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"prompt {name!r} ({source}) is not valid TOML: {exc}") from None
    for key in ("instructions", "question"):
        if not isinstance(data.get(key), str):
            raise ConfigError(f"prompt {name!r} ({source}) needs a string {key!r}")
    exemplars = data.get("exemplars", [])
    if not isinstance(exemplars, list) or not all(isinstance(e, str) for e in exemplars):
        raise ConfigError(f"prompt {name!r} ({source}): 'exemplars' must be a list of strings")
    extras = data.get("extras", {})
    return PromptTemplate(
        name=name,
        source=source,
        description=str(data.get("description", "")),
        instructions=data["instructions"],
        exemplars=tuple(exemplars),
        question=data["question"],
        exemplar_separator=str(data.get("exemplar_separator", "\n")),
        extras={str(k): str(v) for k, v in extras.items()},
    )


def fit_prompt(
    template: PromptTemplate,
    question: str,
    *,
    shots: int | None,
    count_tokens: Callable[[str], int],
    context_window: int,
    reserve_tokens: int,
    **values: Any,
) -> PromptFit:
    """Render with as many of the requested exemplars as fit.

    ``reserve_tokens`` is the room the loop needs after the prompt (generated
    tokens and, for ReAct, the growing trajectory).
    """
    available = len(template.exemplars)
    if shots is not None and shots < 0:
        raise ConfigError(f"shots must be 0 or more, got {shots}")
    requested = available if shots is None else shots
    if requested > available:
        raise ConfigError(
            f"shots={requested} but prompt {template.name!r} has only {available} exemplars"
        )
    budget = context_window - reserve_tokens
    for used in range(requested, -1, -1):
        head, asked = template.render_parts(question, shots=used, **values)
        prompt = head + asked
        tokens = count_tokens(prompt)
        if tokens <= budget:
            note = None
            if used < requested:
                note = (
                    f"dropped {requested - used} of {requested} exemplars: the prompt must fit "
                    f"in {context_window} context tokens with {reserve_tokens} left for the run"
                )
            return PromptFit(
                prompt=prompt,
                shots_requested=requested,
                shots_used=used,
                prompt_tokens=tokens,
                context_window=context_window,
                note=note,
                question_at=len(head),
            )
    raise PromptTooLongError(
        f"the zero-shot prompt takes {tokens} tokens, but the context window is "
        f"{context_window} with {reserve_tokens} reserved for the run; shorten the question, "
        "use a backend with a larger context (e.g. -o n_ctx=8192), or lower max_new_tokens"
    )
