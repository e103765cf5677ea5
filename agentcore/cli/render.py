"""Live rendering of a run in the terminal: tokens as they are generated, then each step.

Everything shown passes :func:`agentcore.untrusted.for_terminal`: model and tool text
can hold escape sequences, which the terminal must show, never execute.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Protocol

import click

from agentcore.models import RunResult, RunStatus, Step, StepKind
from agentcore.untrusted import for_terminal

if TYPE_CHECKING:
    from agentcore.cli.status import StatusLine

TASK_SHOWN_CHARS = 300
"""The most of a task the header shows: a 20,000-character question is not echoed whole."""


class TranscriptFormat(Protocol):
    """How an agent's prompt writes a step: what :class:`~agentcore.agent.Agent` provides.

    The display reads the run as the transcript the model sees, in the prompt file's own
    words (``Thought 2:``, ``def solution():``, ``Observation 2:``), so editing a prompt's
    markers changes what is shown with what is parsed.
    """

    kind: str

    def step_lead(self, step_index: int) -> str: ...

    def step_lines(self, step: Step) -> list[str]: ...

    def observation_line(self, step_index: int, observation: str) -> str | None: ...


class LiveRenderer:
    """Streams model text as it is generated and closes each step with its observation."""

    def __init__(
        self,
        agent: TranscriptFormat,
        *,
        color: bool | None = None,
        stream_tokens: bool = True,
        status: StatusLine | None = None,
    ) -> None:
        self.agent = agent
        self.color = color
        self.stream_tokens = stream_tokens
        self.status = status  # "working on step N" while the model has not written anything
        self._open_step = False
        self._step_number = 1

    def _echo(self, text: str, nl: bool = True, **style: object) -> None:
        # The one way this class prints: styles come from click, never from the text.
        click.secho(for_terminal(text), nl=nl, color=self.color, **style)  # type: ignore[arg-type]

    def start(self, task: str, backend: str, model: str) -> None:
        self._echo(f"{self.agent.kind} · {backend} · {model}", dim=True)
        shown = " ".join(task.split())
        if len(shown) > TASK_SHOWN_CHARS:
            shown = f"{shown[:TASK_SHOWN_CHARS]}… ({len(task):,} characters)"
        self._echo(f"Task: {shown}", bold=True)
        self._waiting()

    def _waiting(self) -> None:
        if self.status is not None:
            self.status.show(f"working on step {self._step_number}")

    def _quiet_status(self) -> None:
        if self.status is not None:
            self.status.clear()

    def on_token(self, piece: str) -> None:
        if not self.stream_tokens:
            return
        if not self._open_step:
            self._quiet_status()
            self._open_step = True
            self._echo(self._prefix(), nl=False, fg="cyan")
        self._echo(piece, nl=False, fg="cyan")

    def on_retry(self, step_index: int, reason: str) -> None:
        """The step's streamed text is discarded: say why, and stream the new attempt afresh."""
        self._quiet_status()
        if self._open_step:
            self._echo("")
            self._open_step = False
        self._echo(f"  ↻ step {step_index}: {reason}", dim=True)
        self._waiting()

    def _prefix(self) -> str:
        """What the prompt put before the model's text, so the stream reads as a transcript."""
        return self.agent.step_lead(self._step_number)

    def step(self, step: Step) -> None:
        self._quiet_status()
        self._step_number = step.index + 1
        if self._open_step:
            self._echo("")
            self._open_step = False
        elif step.kind == StepKind.FINAL or not self.stream_tokens:
            self._render_parsed(step)
        if step.observation is not None:
            self._echo(self._observation(step), fg="yellow")
        for change in step.sanitized:  # the prompt got the cleaned text (agentcore.untrusted)
            self._echo(f"  (sanitized for the prompt: {change})", dim=True)
        usage = step.usage
        reuse = ""
        if usage.prompt_tokens and usage.prompt_tokens_evaluated < usage.prompt_tokens:
            reuse = f", {usage.prompt_tokens_evaluated} evaluated"
        tool = f" · tool {step.tool_s:.2f}s" if step.tool_s else ""
        self._echo(
            f"  [step {step.index}: llm {step.llm_s:.2f}s · prompt {usage.prompt_tokens} tok"
            f"{reuse} · {usage.completion_tokens} new tok{tool}]",
            dim=True,
        )
        self._waiting()

    def _render_parsed(self, step: Step) -> None:
        if step.kind == StepKind.FINAL:
            self._echo("(step budget spent; asking for the best answer)", dim=True)
        for line in self.agent.step_lines(step):
            self._echo(line, fg="cyan")

    def _observation(self, step: Step) -> str:
        """The observation as the prompt writes it, else led by the tool and its outcome."""
        observation = step.observation or ""
        line = self.agent.observation_line(step.index, observation)
        if line is not None:
            return line
        result = step.tool_result
        if result is None:
            return observation
        status = "ok" if result.ok else (result.error_kind or "error")
        return f"{result.tool} ({status}): {observation}"

    def finish(self, result: RunResult) -> None:
        self._quiet_status()
        if self._open_step:
            self._echo("")
        for note in result.notes:
            self._echo(f"note: {note}", fg="magenta")
        for warning in result.warnings:
            self._echo(f"warning: {warning}", fg="yellow")
        for event in result.guardrails:
            who = event.by or "a guardrail"
            line = f"guardrail ({event.check}): {who} {event.action}: {event.reason}"
            self._echo(line, fg="magenta")
        colour = {
            RunStatus.FINISHED: "green",
            RunStatus.MAX_STEPS: "yellow",
            RunStatus.ERROR: "red",
            RunStatus.CANCELLED: "red",
            RunStatus.REFUSED: "magenta",
            RunStatus.PAUSED: "yellow",
            RunStatus.BUDGET: "yellow",
            RunStatus.LOST: "red",
        }[result.status]
        if result.answer is not None:
            self._echo(f"Answer: {result.answer}", bold=True, fg=colour)
        if result.error:
            label = {RunStatus.REFUSED: "Refused", RunStatus.BUDGET: "Budget"}.get(
                result.status, "Error"
            )
            self._echo(f"{label}: {result.error}", fg="red")
        if result.pending is not None:
            self._echo(pending_line(result), fg="yellow")
        u = result.usage
        self._echo(
            f"[{result.status.value} · {len(result.steps)} steps · {result.duration_s:.1f}s · "
            f"prompt {u.prompt_tokens} tok ({u.prompt_tokens_evaluated} evaluated) · "
            f"{u.completion_tokens} generated · run {result.run_id}]",
            dim=True,
        )


def pending_line(result: RunResult, how: str | None = None) -> str:
    """What a paused run waits for, and how to answer (by default: from another terminal)."""
    pending = result.pending
    assert pending is not None
    why = "may have run before a crash" if pending.reason == "unknown_outcome" else "needs approval"
    how = how or (
        f"Answer with `agentcore runs approve {result.run_id}` or `agentcore runs reject "
        f"{result.run_id} --reason TEXT`."
    )
    return f"Paused: {pending.tool} {json.dumps(pending.arguments)} {why}. {how}"
