"""Live rendering of a run in the terminal: tokens as they are generated, then each step.

Everything shown passes :func:`agentcore.untrusted.for_terminal`: model and tool text
can hold escape sequences, which the terminal must show, never execute.
"""

from __future__ import annotations

import click

from agentcore.models import RunResult, RunStatus, Step, StepKind
from agentcore.untrusted import for_terminal


class LiveRenderer:
    """Streams model text as it is generated and closes each step with its observation."""

    def __init__(
        self,
        *,
        agent: str,
        max_steps: int | None = None,
        color: bool | None = None,
        stream_tokens: bool = True,
    ) -> None:
        self.agent = agent
        self.max_steps = max_steps
        self.color = color
        self.stream_tokens = stream_tokens
        self._open_step = False
        self._step_number = 1

    def _echo(self, text: str, nl: bool = True, **style: object) -> None:
        # The one way this class prints: styles come from click, never from the text.
        click.secho(for_terminal(text), nl=nl, color=self.color, **style)  # type: ignore[arg-type]

    def start(self, agent: str, task: str, backend: str, model: str) -> None:
        self._echo(f"{agent} · {backend} · {model}", dim=True)
        label = "Problem" if agent == "pal" else "Question"
        self._echo(f"{label}: {task}", bold=True)

    def on_token(self, piece: str) -> None:
        if not self.stream_tokens:
            return
        if not self._open_step:
            self._open_step = True
            self._echo(self._prefix(), nl=False, fg="cyan")
        self._echo(piece, nl=False, fg="cyan")

    def on_retry(self, step_index: int, reason: str) -> None:
        """The step's streamed text is discarded: say why, and stream the new attempt afresh."""
        if self._open_step:
            self._echo("")
            self._open_step = False
        self._echo(f"  ↻ step {step_index}: {reason}", dim=True)

    def _prefix(self) -> str:
        """What the prompt put before the model's text, so the stream reads as a transcript."""
        n = self._step_number
        if self.agent == "react":
            if self.max_steps is not None and n > self.max_steps:
                return "(step budget spent) Final answer: "
            return f"Thought {n}:"
        if self.agent == "pal":
            return f"# program, attempt {n}\ndef solution():\n"
        return ""

    def step(self, step: Step) -> None:
        self._step_number = step.index + 1
        if self._open_step:
            self._echo("")
            self._open_step = False
        elif step.kind == StepKind.FINAL or not self.stream_tokens:
            self._render_parsed(step)
        if step.kind == StepKind.PROGRAM and step.tool_result is not None:
            status = "ok" if step.tool_result.ok else (step.tool_result.error_kind or "error")
            self._echo(f"Sandbox ({status}): {step.observation}", fg="yellow")
        elif step.observation is not None:
            self._echo(f"Observation {step.index}: {step.observation}", fg="yellow")
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

    def _render_parsed(self, step: Step) -> None:
        if step.kind == StepKind.FINAL:
            self._echo("(step budget spent; asking for the best answer)", dim=True)
        if step.thought and step.kind != StepKind.PROGRAM:
            self._echo(f"Thought {step.index}: {step.thought}", fg="cyan")
        elif step.thought:
            self._echo(step.thought, fg="cyan")
        if step.action is not None:
            self._echo(f"Action {step.index}: {step.action.raw}", fg="cyan")

    def finish(self, result: RunResult) -> None:
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
        }[result.status]
        if result.answer is not None:
            self._echo(f"Answer: {result.answer}", bold=True, fg=colour)
        if result.error:
            label = "Refused" if result.status is RunStatus.REFUSED else "Error"
            self._echo(f"{label}: {result.error}", fg="red")
        u = result.usage
        self._echo(
            f"[{result.status.value} · {len(result.steps)} steps · {result.duration_s:.1f}s · "
            f"prompt {u.prompt_tokens} tok ({u.prompt_tokens_evaluated} evaluated) · "
            f"{u.completion_tokens} generated · run {result.run_id}]",
            dim=True,
        )
