"""Text and JSON views of stored runs, for the CLI.

Stored text came from models and tools: every string printed passes
:func:`agentcore.untrusted.for_terminal` (escape sequences shown, never executed), and
JSON passes :func:`~agentcore.untrusted.json_for_terminal` (exact, but JSON-escaped).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import click

from agentcore.plugin import for_terminal, json_for_terminal

ANSWER_WIDTH = 40


def local_time(value: datetime | None, *, seconds: bool = False) -> str:
    """A stored (naive UTC) timestamp in the user's local time."""
    if value is None:
        return "-"
    fmt = "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"
    return value.replace(tzinfo=UTC).astimezone().strftime(fmt)


def json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat() + "Z"
    return str(value)


def to_json(payload: Any, *, indent: int | None = 2) -> str:
    text = json.dumps(payload, indent=indent, ensure_ascii=False, default=json_default)
    return json_for_terminal(text)


def shorten(text: str | None, width: int) -> str:
    """One line of at most ``width`` characters, safe to print."""
    flat = " ".join((text or "").split())
    return for_terminal(flat if len(flat) <= width else flat[: width - 1] + "…")


def status_label(run: dict[str, Any]) -> str:
    if run.get("status") == "running" and run.get("process_alive") is False:
        return "lost"  # its process is gone: killed before it could record the end
    return str(run.get("status"))


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}s"


def print_run_list(runs: list[dict[str, Any]]) -> None:
    header = (
        f"{'RUN ID':<12}  {'WHEN':<16}  {'AGENT':<6} {'STATUS':<9} "
        f"{'STEPS':>5} {'TOKENS':>7} {'TIME':>7}  ANSWER"
    )
    click.secho(header, bold=True)
    colours = {
        "finished": "green",
        "error": "red",
        "cancelled": "yellow",
        "refused": "magenta",
        "lost": "red",
    }
    for run in runs:
        status = for_terminal(status_label(run))
        answer = shorten(run["answer"], ANSWER_WIDTH) if run["answer"] is not None else ""
        if not answer and run.get("error"):
            answer = click.style(shorten(run["error"], ANSWER_WIDTH), dim=True)
        rating = f"  ({for_terminal(run['rating'])})" if run.get("rating") else ""
        run_id, agent = for_terminal(run["run_id"]), for_terminal(run["agent"])
        click.echo(
            f"{run_id:<12}  {local_time(run['started_at']):<16}  {agent:<6} "
            + click.style(f"{status:<9}", fg=colours.get(status))
            + f" {run['step_count'] if run['step_count'] is not None else '-':>5}"
            + f" {run['tokens'] if run['tokens'] is not None else '-':>7}"
            + f" {_seconds(run['duration_s']):>7}  {answer}{rating}"
        )


def _field(label: str, value: Any, indent: str = "  ") -> None:
    if value is None or value == "":
        return
    text = for_terminal(str(value))  # before splitting: \r, \x0b, U+2028 are no line breaks
    if "\n" in text:
        click.echo(f"{indent}{click.style(label, bold=True)}:")
        for line in text.split("\n"):
            click.echo(f"{indent}  {line}")
    else:
        click.echo(f"{indent}{click.style(label, bold=True)}: {text}")


def print_run(trace: dict[str, Any], *, prompts: bool) -> None:
    run = trace["run"]
    click.secho(
        for_terminal(f"Run {run['run_id']}  {run['agent']}  {status_label(run)}"),
        bold=True,
    )
    shots = f", {run['shots']} shot(s)" if run.get("shots") is not None else ""
    _field("model", f"{run['model']} (backend {run['backend']})")
    _field("prompt", f"{run['prompt_name'] or '-'}{shots}")
    _field(
        "started", f"{local_time(run['started_at'], seconds=True)}  ({_seconds(run['duration_s'])})"
    )
    if run.get("prompt_tokens") is not None:
        _field(
            "tokens",
            f"{run['prompt_tokens']} prompt ({run['prompt_tokens_evaluated']} evaluated)"
            f" + {run['completion_tokens']} completion",
        )
    _field("input", run["input"])
    _field("answer", run["answer"])
    _field("error", run["error"])
    for note in run.get("notes") or []:
        _field("note", note)
    if run["status"] == "running":
        state = "its process is gone" if run.get("process_alive") is False else "still running?"
        click.secho(f"  (no end recorded: {state}; steps are stored when a run ends)", fg="yellow")
    for item in trace["feedback"]:
        note = f": {item['note']}" if item["note"] else ""
        _field("feedback", f"{item['rating']}{note}  ({local_time(item['created_at'])})")

    tool_calls = {(t["step_index"], t["tool"]): t for t in trace["tool_calls"]}
    calls_by_step: dict[int, list[dict[str, Any]]] = {}
    for call in trace["llm_calls"]:
        calls_by_step.setdefault(call["step_index"], []).append(call)
    step_indexes = [s["step_index"] for s in trace["steps"]]
    for step in trace["steps"]:
        click.echo()
        click.secho(for_terminal(f"Step {step['step_index']} ({step['kind']})"), bold=True)
        for call in calls_by_step.pop(step["step_index"], []):
            _print_call(call, prompts=prompts)
        _field("Thought", step["thought"])
        if step["action_raw"] or step["action_tool"]:
            _field("Action", step["action_raw"] or f"{step['action_tool']}{step['action_args']}")
        _field("Parse error", step["parse_error"])
        for (index, _tool), tool_call in tool_calls.items():
            if index == step["step_index"]:
                _print_tool_call(tool_call)
        _field("Observation", step["observation"])
        for change in step.get("sanitized") or []:  # what the prompt got instead of the above
            _field("Sanitized", change)
    leftover = [c for index, calls in calls_by_step.items() for c in calls]
    if leftover:  # calls that never became a step: cancelled or failed mid-call
        click.echo()
        pending = "step " + ", ".join(str(i) for i in calls_by_step if i not in step_indexes)
        click.secho(f"Unfinished LLM calls ({pending})", bold=True)
        for call in leftover:
            _print_call(call, prompts=prompts)


def _print_call(call: dict[str, Any], *, prompts: bool) -> None:
    tokens = call.get("completion_tokens")
    facts = [
        f"finish {call['finish_reason']}",
        f"{tokens} tokens" if tokens is not None else None,
        _seconds(call["total_s"]) if call.get("total_s") is not None else None,
    ]
    facts_line = ", ".join(f for f in facts if f)
    click.secho(for_terminal(f"  LLM call {call['call_index']}: {facts_line}"), dim=True)
    if prompts:
        _field("Prompt", call.get("prompt"), indent="    ")
    if call["completion"] is None:
        click.echo("    (no completion came back)")
    else:
        _field("Completion", call["completion"], indent="    ")


def _print_tool_call(call: dict[str, Any]) -> None:
    if call["ok"]:
        outcome = click.style("ok", fg="green")
    else:
        kind = for_terminal(call["error_kind"] or "error")
        outcome = click.style(f"failed ({kind})", fg="red")
    tool = for_terminal(call["tool"])
    click.echo(
        f"  {click.style('Tool', bold=True)}: {tool} {outcome} in {_seconds(call['duration_s'])}"
    )
