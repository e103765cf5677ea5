"""The ``guardrails`` settings section: every guardrail is off until a setting turns it on.

Set from the command line with ``--set guardrails.KEY=VALUE`` (any ``agentcore run`` command and
``agentcore chat``), or in Python with ``settings={"guardrails": {...}}``. Values from the
command line are strings; ``on``/``off`` and friends are accepted wherever a switch is meant.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator

from agentcore.plugin import Options, read_settings_section

SECTION = "guardrails"
DEFAULT_CONSTITUTION = "guardrails/constitution"
OFF = frozenset({"", "off", "false", "0", "no", "none"})
ON = frozenset({"on", "true", "1", "yes", "default"})


class GuardrailSettings(Options):
    """Everything the plugin reads from ``settings["guardrails"]`` (all optional)."""

    model_config = ConfigDict(frozen=True)

    constitution: str | None = Field(
        None,
        description="on: critique and revise answers against the default constitution; or a "
        "constitution's name under prompts/ or a path to a .toml file.",
    )
    injection: Literal["off", "flag", "refuse"] = Field(
        "off", description="Prompt-injection markers in the input: record them, or refuse."
    )
    pii: Literal["off", "redact"] = Field(
        "off", description="redact: e-mails, phone and card numbers in what is stored."
    )
    phone_region: str = Field("US", description="Region of phone numbers written without +.")
    block_tools: tuple[str, ...] = Field((), description="Tools whose calls are blocked.")
    critique_prompt: str = Field("guardrails/critique", description="The critique prompt.")
    revise_prompt: str = Field("guardrails/revise", description="The revision prompt.")
    critique_tokens: int = Field(48, ge=4, le=512, description="Most tokens of a critique.")
    revision_tokens: int = Field(256, ge=8, le=4096, description="Most tokens of a revision.")

    @field_validator("constitution", mode="before")
    @classmethod
    def _constitution(cls, value: Any) -> Any:
        if value is None or value is False:
            return None
        if value is True:
            return DEFAULT_CONSTITUTION
        if isinstance(value, str):
            word = value.strip().lower()
            if word in OFF:
                return None
            if word in ON:
                return DEFAULT_CONSTITUTION
            return value.strip()
        return value

    @field_validator("injection", mode="before")
    @classmethod
    def _injection(cls, value: Any) -> Any:
        return _switch(value, on="flag")

    @field_validator("pii", mode="before")
    @classmethod
    def _pii(cls, value: Any) -> Any:
        return _switch(value, on="redact")

    @field_validator("block_tools", mode="before")
    @classmethod
    def _tool_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(name.strip() for name in value.split(",") if name.strip())
        return value


def _switch(value: Any, *, on: str) -> Any:
    if value is True:
        return on
    if value is False or value is None:
        return "off"
    if isinstance(value, str):
        word = value.strip().lower()
        return "off" if word in OFF else on if word in ON else word
    return value


def read_settings(settings: Mapping[str, Any] | None) -> GuardrailSettings:
    """``GuardrailSettings`` from a run's settings; :class:`ConfigError` saying what is wrong."""
    return read_settings_section(settings, SECTION, GuardrailSettings)
