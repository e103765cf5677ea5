"""Turning the engine's records (RunInfo, RunResult, Step, Completion) into table rows.

Pure functions, no database: what is stored is decided here, how it is written
in :mod:`agentcore_store.writer`.

No secret is stored: every text of a row, and every string inside its JSON
columns, goes through :func:`agentcore.errors.redact` (the secrets this process
registered — API keys, passwords — plus URL userinfo and Authorization/Bearer
values). A tool that echoes a key, and the prompt that then quotes that tool's
answer, are kept with ``[redacted]`` in its place; the run in memory is untouched.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from agentcore.models import (
    Completion,
    GenerationConfig,
    RunInfo,
    RunResult,
    RunStatus,
    Step,
    StepKind,
)
from agentcore.plugin import redact, redact_data

RUNNING = "running"
Row = dict[str, Any]


@dataclass
class LLMCall:
    """One backend call seen through before_llm_call / after_llm_call."""

    step_index: int
    prompt: str | None
    config: GenerationConfig | None
    started_at: float
    completion: Completion | None = None


def utc(timestamp: float | None) -> datetime | None:
    """Epoch seconds as a naive UTC datetime (the store's TIMESTAMP convention)."""
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).replace(tzinfo=None)


def to_json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(redact_data(value), ensure_ascii=False, default=str)


def redact_row(row: Row) -> Row:
    """The row with every text value redacted (see the module docs)."""
    return {key: redact(value) if isinstance(value, str) else value for key, value in row.items()}


def run_start_row(info: RunInfo) -> Row:
    """The row written when a run starts, so a process killed mid-run leaves evidence."""
    return {
        "run_id": info.run_id,
        "agent": info.agent,
        "input": info.input,
        "status": RUNNING,
        "backend": info.backend,
        "model": info.model,
        "tools": to_json(info.tools),
        "generation": to_json(info.config.model_dump(mode="json")),
        "started_at": utc(info.started_at),
        "pid": os.getpid(),
        "host": socket.gethostname(),
    }


def run_end_row(result: RunResult, info: RunInfo | None, llm_calls: int) -> Row:
    """The complete run row, written (over the start row) when the run ends."""
    row = run_start_row(info) if info is not None else {"pid": os.getpid()}
    row.update(
        {
            "run_id": result.run_id,
            "agent": result.agent,
            "input": result.input,
            "status": result.status.value,
            "answer": result.answer,
            "error": result.error,
            "backend": result.backend,
            "model": result.model,
            "prompt_name": result.prompt_name,
            "shots": result.shots,
            "started_at": utc(result.started_at),
            "ended_at": utc(result.started_at + result.duration_s),
            "duration_s": result.duration_s,
            "step_count": len(result.steps),
            "llm_call_count": llm_calls,
            "prompt_tokens": result.usage.prompt_tokens,
            "prompt_tokens_evaluated": result.usage.prompt_tokens_evaluated,
            "completion_tokens": result.usage.completion_tokens,
            "notes": to_json(result.notes),
        }
    )
    row.setdefault("host", socket.gethostname())
    return row


def step_row(run_id: str, step: Step) -> Row:
    action, tool_result = step.action, step.tool_result
    return {
        "run_id": run_id,
        "step_index": step.index,
        "kind": step.kind.value,
        "thought": step.thought,
        "action_tool": action.tool if action else None,
        "action_args": to_json(action.arguments) if action else None,
        "action_raw": action.raw if action else None,
        "observation": step.observation,
        "parse_error": step.parse_error,
        "sanitized": to_json(step.sanitized) if step.sanitized else None,
        "tool_ok": tool_result.ok if tool_result else None,
        "tool_error_kind": tool_result.error_kind if tool_result else None,
        "completion": step.completion,
        "finish_reason": step.finish_reason,
        "prompt_sha256": step.prompt_sha256,
        "prompt_tokens": step.usage.prompt_tokens,
        "prompt_tokens_evaluated": step.usage.prompt_tokens_evaluated,
        "completion_tokens": step.usage.completion_tokens,
        "llm_s": step.llm_s,
        "tool_s": step.tool_s,
    }


def tool_call_row(
    run_id: str, step: Step, error_messages: dict[tuple[int, str], str]
) -> Row | None:
    """The tool (or code executor) call a step made; ``None`` when it made none."""
    result = step.tool_result
    if result is None:
        return None
    if step.action is not None:
        arguments: dict[str, Any] = step.action.arguments
    elif step.kind is StepKind.PROGRAM:
        arguments = {"code": step.thought}
    else:
        arguments = {}
    return {
        "run_id": run_id,
        "step_index": step.index,
        "tool": result.tool,
        "arguments": to_json(arguments),
        "ok": result.ok,
        "error_kind": result.error_kind,
        "error_message": error_messages.get((step.index, result.tool)),
        "observation": result.observation,
        "duration_s": result.duration_s,
        "data": to_json(result.data),
    }


def llm_call_rows(result: RunResult, calls: list[LLMCall] | None) -> list[Row]:
    """One row per backend call; from the buffered events, or the steps if none were seen."""
    if calls is None:  # the store saw only the end of this run: recover what the steps hold
        calls = [
            LLMCall(
                step.index,
                step.prompt,
                None,
                result.started_at,
                Completion(
                    text=step.completion,
                    finish_reason=step.finish_reason or "stop",
                    usage=step.usage,
                    model=result.model,
                ),
            )
            for step in result.steps
        ]
    unanswered = "cancelled" if result.status is RunStatus.CANCELLED else "error"
    rows = []
    for number, call in enumerate(calls, start=1):
        done = call.completion
        rows.append(
            {
                "run_id": result.run_id,
                "call_index": number,
                "step_index": call.step_index,
                "prompt": call.prompt,
                "prompt_sha256": Step.hash_prompt(call.prompt) if call.prompt is not None else None,
                "completion": done.text if done else None,
                "finish_reason": done.finish_reason if done else unanswered,
                "stop_sequence": done.stop_sequence if done else None,
                "prompt_tokens": done.usage.prompt_tokens if done else None,
                "prompt_tokens_evaluated": done.usage.prompt_tokens_evaluated if done else None,
                "completion_tokens": done.usage.completion_tokens if done else None,
                "total_s": done.timings.total_s if done else None,
                "prompt_s": done.timings.prompt_s if done else None,
                "generation_s": done.timings.generation_s if done else None,
                "model": (done.model if done and done.model else result.model) or None,
                "config": to_json(call.config.model_dump(mode="json")) if call.config else None,
                "started_at": utc(call.started_at),
            }
        )
    return rows
