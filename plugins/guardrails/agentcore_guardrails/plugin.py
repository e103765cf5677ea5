"""Hook implementations of the ``guardrails`` plugin (light: the checks load on first use).

Every guardrail is off until the run's settings turn it on (``settings["guardrails"]``, see
:mod:`agentcore_guardrails.settings`), so installing the plugin changes nothing by itself.
Invalid settings raise :class:`~agentcore.errors.ConfigError` inside the hook, which the engine
treats like any failing guardrail: the run is refused with the error as its reason.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentcore.models import Verdict
from agentcore.plugin import hookimpl

if TYPE_CHECKING:
    from agentcore.models import Step
    from agentcore.plugin import Redactor, RunContext
    from agentcore_guardrails.settings import GuardrailSettings

INJECTION = "guardrails.injection"
TOOLS = "guardrails.block_tools"
_SETTINGS = "guardrails.settings"


def settings_of(run: RunContext) -> GuardrailSettings:
    """The run's guardrail settings, validated once per run."""
    cached = run.state.get(_SETTINGS)
    if cached is None:
        from agentcore_guardrails.settings import read_settings

        cached = run.state[_SETTINGS] = read_settings(run.settings)
    return cached


@hookimpl
def check_input(run: RunContext, text: str) -> Verdict | None:
    """Prompt-injection markers: recorded (``injection=flag``) or refused (``=refuse``)."""
    mode = settings_of(run).injection
    if mode == "off":
        return None
    from agentcore_guardrails.injection import describe, find_markers

    findings = find_markers(text)
    if not findings:
        return None
    found = describe(findings)
    if mode == "refuse":
        return Verdict.refuse(f"the input looks like a prompt injection: {found}", by=INJECTION)
    return Verdict.allow(f"possible prompt injection: {found}", by=INJECTION)


@hookimpl
def check_output(run: RunContext, answer: str, steps: list[Step]) -> Verdict | None:
    """The constitution's critique and revision (``constitution=on`` or a file)."""
    settings = settings_of(run)
    if settings.constitution is None:
        return None
    from agentcore_guardrails.constitution import review

    return review(run, answer, settings)


@hookimpl
def check_tool_call(run: RunContext, tool: str, arguments: dict[str, Any]) -> Verdict | None:
    """Calls to the tools listed in ``block_tools`` do not run."""
    if tool in settings_of(run).block_tools:
        return Verdict.block(f"the guardrails.block_tools setting lists {tool}", by=TOOLS)
    return None


@hookimpl
def storage_redactor(run: RunContext) -> Redactor | None:
    """E-mail addresses, phone and card numbers out of what is stored (``pii=redact``)."""
    settings = settings_of(run)
    if settings.pii == "off":
        return None
    from agentcore_guardrails.pii import redactor

    return redactor(settings.phone_region)


@hookimpl
def register_settings(register: Any) -> None:
    from agentcore_guardrails.settings import SECTION, GuardrailSettings

    register(SECTION, GuardrailSettings, description="which guardrails run, and how")
