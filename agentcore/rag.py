"""The RAG loop: retrieve → augment the prompt → generate an answer that cites its sources.

Read top to bottom, a run is two steps:

1. **retrieve** — the retriever plugin ranks passages for the question; the
   step records them all (``tool_result.data``: the Documents, best first);
2. **answer** — the passages, numbered ``[1]``, ``[2]``, … with their sources,
   go into the prompt (as many as fit the context window, best first); the
   model answers and cites passages by number. The step's ``tool_result``
   records the passages the answer cites.

The answer keeps the model's citations and ends with the list of the sources
it cites (file and passage), so a reader can check every claim.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator, Sequence
from typing import Any

from agentcore.agent import Agent
from agentcore.backends import LLMBackend
from agentcore.defaults import DEFAULT_BACKEND
from agentcore.errors import ConfigError, PromptTooLongError
from agentcore.models import (
    Action,
    Document,
    GenerationConfig,
    PromptFit,
    RunStatus,
    Step,
    StepKind,
    ToolResult,
)
from agentcore.retrievers import Retriever
from agentcore.run import Run
from agentcore.turns import single_call_turns

_CITATION = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")


class RAGAgent(Agent):
    """Answer a question from retrieved passages, citing them as ``[1]``, ``[2]``.

    ``retriever`` is the name of a registered retriever (``hybrid``, ``bm25``,
    ``dense``, ``sql``, ``csv``, ...) built with ``retriever_options`` (and
    ``index``, a shorthand for ``retriever_options={"index": ...}``), or a
    :class:`~agentcore.retrievers.Retriever` object. ``k`` passages are
    retrieved; each is cut to ``passage_chars`` characters in the prompt.
    """

    kind = "rag"
    default_prompt = "rag/answer"
    default_generation = GenerationConfig(max_new_tokens=160, temperature=0.0)

    def __init__(
        self,
        backend: str | LLMBackend = DEFAULT_BACKEND,
        *,
        retriever: str | Retriever = "hybrid",
        index: str | os.PathLike[str] | None = None,
        retriever_options: dict[str, Any] | None = None,
        k: int = 5,
        passage_chars: int = 1200,
        **options: Any,
    ) -> None:
        if k < 1:
            raise ConfigError(f"k (passages to retrieve) must be at least 1, got {k}")
        if passage_chars < 20:
            raise ConfigError(f"passage_chars must be at least 20, got {passage_chars}")
        if isinstance(retriever, Retriever) and (index is not None or retriever_options):
            raise ConfigError(
                "index/retriever_options apply only when the retriever is given by name; "
                "configure the retriever object itself instead"
            )
        self._retriever_choice = (retriever, index, dict(retriever_options or {}))
        self.k = k
        self.passage_chars = passage_chars
        super().__init__(backend, **options)

    def _resolve_parts(self) -> None:
        retriever, index, opts = self._retriever_choice
        if isinstance(retriever, Retriever):
            self.retriever = retriever
            return
        if index is not None:
            opts["index"] = os.fspath(index)
        self.retriever = self.pm.create("retriever", retriever, **opts)

    def tool_names(self) -> list[str]:
        return [f"retriever:{self.retriever.name}"]

    # -- the loop ----------------------------------------------------------------------------

    def _loop(self, run: Run) -> Iterator[Step]:
        # 1. retrieve
        question = run.record.input
        started = time.perf_counter()
        arguments = {"query": question, "k": self.k, "retriever": self.retriever.name}
        blocked = self._blocked(run, "retrieve", arguments, 1)
        docs = self.retriever.retrieve(question, self.k) if blocked is None else []
        took = time.perf_counter() - started
        listing = "\n".join(
            f"[{n}] {describe_source(d)}: {_clip(d.text, 160)}" for n, d in enumerate(docs, 1)
        )
        listing = blocked.observation if blocked else listing or "(no passage matched)"
        yield Step(
            index=1,
            kind=StepKind.RETRIEVE,
            action=Action(tool="retrieve", arguments=arguments, raw=f"retrieve[{question}]"),
            observation=listing,
            tool_result=blocked
            or ToolResult(
                tool=self.retriever.name,
                ok=True,
                observation=listing,
                duration_s=took,
                data=[d.model_dump() for d in docs],
            ),
            tool_s=took,
        )

        # 2. augment the prompt with as many passages as fit, and answer
        config = self.generation.with_stop(*self.template.stop_sequences("question"))
        fit, used = self._fit(self._task_text(run), docs, config)
        self._record_fit(run, fit)
        if len(used) < len(docs):
            run.note(
                f"kept {len(used)} of {len(docs)} passages: the rest do not fit in "
                f"{fit.context_window} context tokens"
            )
        turns = single_call_turns(fit.prompt, fit.question_at)
        completion = self._generate(run, 2, fit.prompt, config, turns=turns)
        answer = completion.text.strip()
        cited, unknown = cited_numbers(answer, len(used))
        if unknown:
            run.note(
                f"the answer cites {', '.join(f'[{n}]' for n in unknown)}, but only "
                f"{len(used)} passage(s) were given"
            )
        cited_docs = [used[n - 1] for n in cited]
        sanitized: list[str] = []
        self._passages(used, sanitized)  # what cleaning changed in the passages it kept
        step = self._new_step(
            2,
            fit.prompt,
            completion,
            kind=StepKind.ANSWER,
            tool_result=ToolResult(
                tool="citations",
                ok=bool(cited) and not unknown,
                observation="cites " + (", ".join(f"[{n}]" for n in cited) or "nothing"),
                data=[{"number": n, **used[n - 1].model_dump()} for n in cited],
            ),
            sanitized=sanitized,
        )
        if not answer:
            run.record.status = RunStatus.ERROR
            run.record.error = "the model wrote no answer"
            yield step
            return
        if not cited_docs:
            run.note("the answer cites no passage")
        run.record.answer = answer + "\n\n" + sources_section(used, cited)
        run.record.status = RunStatus.FINISHED
        yield step

    def _fit(
        self, question: str, docs: Sequence[Document], config: GenerationConfig
    ) -> tuple[PromptFit, list[Document]]:
        """The prompt with the most passages (best first) that fit, then the most exemplars."""
        for count in range(len(docs), 0 if docs else -1, -1):
            used = list(docs[:count])
            try:
                fit = self._try_fit(question, config.max_new_tokens, passages=self._passages(used))
            except PromptTooLongError:
                continue
            return fit, used
        raise PromptTooLongError(
            f"not even one passage fits in the context window ({self.backend.context_window} "
            f"tokens, {config.max_new_tokens} kept for the answer); lower passage_chars "
            f"(now {self.passage_chars}) or max_new_tokens, or use a larger context "
            "(e.g. -o n_ctx=8192)"
        )

    def _passages(self, docs: Sequence[Document], changes: list[str] | None = None) -> str:
        """The numbered passages as prompt text. Passages are data: each one's source and
        text are cleaned (:mod:`agentcore.untrusted`), so a passage can neither become
        special tokens nor forge a passage, a question or an answer."""
        if not docs:
            return self.template.extra("no_passages")
        guard = self.guard
        return "\n".join(
            self.template.extra(
                "passage",
                number=n,
                source=guard.as_data(describe_source(doc), changes, f"passage [{n}] source"),
                text=guard.as_data(
                    _clip_lines(_with_title(doc), self.passage_chars), changes, f"passage [{n}]"
                ),
            )
            for n, doc in enumerate(docs, 1)
        )


# --- helpers -----------------------------------------------------------------------------


def describe_source(doc: Document) -> str:
    """``file, passage n`` when the retriever says which passage; else the source or id."""
    where = doc.source or doc.id
    passage = doc.metadata.get("passage")
    return f"{where}, passage {passage}" if passage is not None else where


def cited_numbers(answer: str, available: int) -> tuple[list[int], list[int]]:
    """Passage numbers cited as ``[n]`` or ``[n, m]``: (valid, in order of first citation;
    numbers outside 1..available)."""
    valid: list[int] = []
    unknown: list[int] = []
    for match in _CITATION.finditer(answer):
        for part in match.group(1).split(","):
            number = int(part)
            target = valid if 1 <= number <= available else unknown
            if number not in target:
                target.append(number)
    return valid, unknown


def sources_section(docs: Sequence[Document], cited: Sequence[int]) -> str:
    """The list of sources shown under the answer: the cited ones, else all retrieved."""
    if cited:
        lines = [f"[{n}] {_locate(docs[n - 1])}" for n in cited]
        return "Sources:\n" + "\n".join(lines)
    if not docs:
        return "Sources: none (no passage was retrieved)"
    lines = [f"[{n}] {_locate(d)}" for n, d in enumerate(docs, 1)]
    return "Sources (retrieved; the answer cites none):\n" + "\n".join(lines)


def _locate(doc: Document) -> str:
    start, end = doc.metadata.get("start"), doc.metadata.get("end")
    chars = f", characters {start}–{end}" if start is not None and end is not None else ""
    return describe_source(doc) + chars


def _with_title(doc: Document) -> str:
    """The passage led by its document's title when the passage itself does not show it."""
    if doc.title and doc.title not in doc.text:
        return f"{doc.title}: {doc.text}"
    return doc.text


def _clip_lines(text: str, limit: int) -> str:
    """Spaces squeezed and blank lines dropped, line breaks kept (lists stay readable)."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    flat = "\n".join(line for line in lines if line)
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _clip(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
