"""Which tool calls wait for a person, and what a person's answer does to the call.

A tool asks for approval on every call (``@tool(requires_approval=True)``), or the agent's
:class:`ApprovalPolicy` names tools, or an argument matching a pattern (``send_email`` when
``to`` is outside the company). When the model makes such a call, the run pauses (status
``paused``) with the call as its :class:`~agentcore.models.PendingAction`; a person answers
with a :class:`~agentcore.models.Decision` (``Agent.approve`` / ``Agent.reject``, or
``agentcore runs approve`` / ``reject``), which is kept with the run, and the run resumes:
an approved call runs (with edited arguments, if given), a rejected one does not and the
model is told why. The same pause guards a ``side_effect`` call whose outcome a crash lost.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import Field, field_validator

from agentcore.errors import ConfigError
from agentcore.models import Decision, PendingAction, ToolResult
from agentcore.options import Options, validate_options


class ApprovalRule(Options):
    """Calls of ``tool`` (``*``: any tool) — only those whose ``argument`` matches ``pattern``
    (a regular expression searched in the value as text), when both are given."""

    tool: str
    argument: str | None = None
    pattern: str | None = None

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {exc}") from None
        return value

    def matches(self, tool: str, arguments: Mapping[str, Any]) -> bool:
        if self.tool not in ("*", tool):
            return False
        if self.pattern is None:
            return self.argument is None or self.argument in arguments
        values = [arguments.get(self.argument)] if self.argument else list(arguments.values())
        return any(v is not None and re.search(self.pattern, str(v)) for v in values)


class ApprovalPolicy(Options):
    """Tool calls that need a person's approval besides those of ``requires_approval`` tools:
    every call of the ``tools`` named, and the calls the ``rules`` match."""

    tools: list[str] = Field(default_factory=list)
    rules: list[ApprovalRule] = Field(default_factory=list)

    def names(self) -> set[str]:
        return set(self.tools) | {rule.tool for rule in self.rules if rule.tool != "*"}

    def requires(self, tool: str, arguments: Mapping[str, Any]) -> bool:
        return tool in self.tools or any(rule.matches(tool, arguments) for rule in self.rules)


def approval_policy(value: ApprovalPolicy | Mapping[str, Any] | Sequence[str] | None):
    """An :class:`ApprovalPolicy` from one, its fields as a mapping, or a list of tool names."""
    if value is None or isinstance(value, ApprovalPolicy):
        return value or ApprovalPolicy()
    if isinstance(value, str):
        raise ConfigError(f"approval: give a list of tool names, not the string {value!r}")
    if isinstance(value, Mapping):
        return validate_options(ApprovalPolicy, dict(value), where="approval")
    return validate_options(ApprovalPolicy, {"tools": list(value)}, where="approval")


def decide(
    pending: PendingAction,
    verdict: str,
    *,
    arguments: dict[str, Any] | None = None,
    reason: str | None = None,
    by: str = "",
) -> Decision:
    """A person's decision on ``pending``, checked: a rejection says why, an edit is a dict."""
    if verdict not in ("approve", "reject"):
        raise ConfigError(f"a decision is 'approve' or 'reject', got {verdict!r}")
    if verdict == "reject" and arguments is not None:
        raise ConfigError("a rejection takes a reason, not arguments")
    if arguments is not None and not isinstance(arguments, dict):
        raise ConfigError(f"edited arguments must be a JSON object, got {arguments!r}")
    return Decision(
        step_index=pending.step_index,
        tool=pending.tool,
        verdict=verdict,  # type: ignore[arg-type]
        arguments=arguments,
        reason=(reason or "").strip() or None,
        by=by,
    )


def rejected(decision: Decision, pending_reason: str) -> ToolResult:
    """What the model sees for a call a person rejected."""
    why = f": {decision.reason}" if decision.reason else ""
    if pending_reason == "unknown_outcome":
        text = (
            f"This {decision.tool} call may already have taken effect before a crash; "
            f"it was not done again{why}."
        )
    else:
        who = decision.by or "the user"
        text = f"{who} rejected this {decision.tool} call; it was not done{why}."
    return ToolResult(tool=decision.tool, ok=False, observation=text, error_kind="rejected")
