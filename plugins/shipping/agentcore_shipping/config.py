"""Reading the plugin's settings from a :class:`~agentcore.tools.ToolContext`.

Section ``shipping`` (:class:`ShippingSection`) configures the carrier client, section
``email`` (:class:`EmailSection`) the SMTP client; both are declared to the engine, so a bad
``--set`` value is refused before a run starts. Secrets may come from the environment instead
of the settings file (``AGENTCORE_SHIPPING_API_KEY``, ``AGENTCORE_EMAIL_PASSWORD``). A missing
or malformed setting raises :class:`SettingsProblem`, which the tools turn into an
observation naming the setting to fix.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import (
    ConfigDict,
    Field,
    NonNegativeFloat,
    PositiveFloat,
    PositiveInt,
    field_validator,
)

from agentcore.plugin import (
    ConfigError,
    Options,
    PathText,
    ToolContext,
    read_settings_section,
    register_secret,
)
from agentcore_shipping.retry import RetryPolicy

API_KEY_ENV = "AGENTCORE_SHIPPING_API_KEY"
EMAIL_PASSWORD_ENV = "AGENTCORE_EMAIL_PASSWORD"
STATE_DIR_ENV = "AGENTCORE_SHIPPING_STATE_DIR"
#: ``shipping.<this>``: the operator's approval of the side-effect tools (no environment
#: variable can give it: it must be in the settings the agent was started with).
APPROVAL_SETTING = "approve_unguarded_tools"
_YES = frozenset({"true", "yes", "on", "1"})
_NO = frozenset({"false", "no", "off", "0", ""})
Section = TypeVar("Section", bound=Options)


class SettingsProblem(Exception):
    """A setting is missing or has the wrong type; the message names it."""


class _RetrySettings(Options):
    model_config = ConfigDict(str_strip_whitespace=True)

    timeout_s: PositiveFloat = Field(10.0, description="Seconds per attempt.")
    max_attempts: PositiveInt = Field(4, description="Attempts, the first included.")
    backoff_base_s: NonNegativeFloat = Field(0.5, description="First wait between attempts.")
    backoff_max_s: NonNegativeFloat = Field(8.0, description="Longest wait between attempts.")
    deadline_s: PositiveFloat | None = Field(
        60.0, description="Bound on all attempts, waits included."
    )

    def policy(self) -> RetryPolicy:
        return RetryPolicy(
            max_attempts=self.max_attempts,
            base_delay_s=self.backoff_base_s,
            max_delay_s=self.backoff_max_s,
            deadline_s=self.deadline_s,
        )


class ShippingSection(_RetrySettings):
    """``settings["shipping"]``: the carrier and the operator's approval."""

    base_url: str | None = Field(None, description="The carrier's address, http(s)://...")
    api_key: str | None = Field(
        None, repr=False, description=f"The carrier's key (or ${API_KEY_ENV})."
    )
    download_dir: PathText | None = Field(None, description="Where label PDFs are saved.")
    approve_unguarded_tools: bool | tuple[str, ...] = Field(
        False, description="true, or the side-effect tools approved ('a,b'); see the README."
    )

    @field_validator(APPROVAL_SETTING, mode="before")
    @classmethod
    def _approval(cls, value: Any) -> Any:
        if isinstance(value, str):
            word = value.strip().lower()
            if word in _YES or word in _NO:
                return word in _YES
            return tuple(part.strip() for part in value.split(",") if part.strip())
        if isinstance(value, list | set | frozenset):
            return tuple(str(part).strip() for part in value)
        return value


class EmailSection(_RetrySettings):
    """``settings["email"]``: the SMTP server and the sender."""

    sender: str | None = Field(None, description="The From address (required to send).")
    host: str = Field("127.0.0.1", description="SMTP server.")
    port: PositiveInt | None = Field(
        None, description="SMTP port (default: 465 with use_ssl, else 25)."
    )
    starttls: bool = Field(False, description="Upgrade the connection with STARTTLS.")
    use_ssl: bool = Field(False, description="Connect with TLS from the start.")
    username: str | None = Field(None, description="SMTP login.")
    password: str | None = Field(
        None, repr=False, description=f"SMTP password (or ${EMAIL_PASSWORD_ENV})."
    )
    helo_name: str = Field("localhost", description="Name given in HELO/EHLO.")
    state_dir: PathText | None = Field(None, description="Where the sent-mail ledger lives.")


def section(ctx: ToolContext, name: str, model: type[Section]) -> Section:
    """``ctx.settings[name]`` as ``model``; :class:`SettingsProblem` naming a bad setting."""
    try:
        return read_settings_section(ctx.settings, name, model)
    except ConfigError as exc:
        raise SettingsProblem(str(exc)) from None


def default_state_dir() -> Path:
    """Where labels and the sent-mail ledger live unless settings say otherwise."""
    if env := os.environ.get(STATE_DIR_ENV):
        return Path(env)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "agentcore" / "shipping"


@dataclass(frozen=True)
class CarrierSettings:
    base_url: str
    api_key: str
    timeout_s: float
    policy: RetryPolicy
    download_dir: Path


@dataclass(frozen=True)
class EmailSettings:
    host: str
    port: int
    sender: str
    starttls: bool
    use_ssl: bool
    username: str | None
    password: str | None
    helo_name: str
    timeout_s: float
    policy: RetryPolicy
    state_dir: Path


def carrier_settings(ctx: ToolContext) -> CarrierSettings:
    shipping = section(ctx, "shipping", ShippingSection)
    base_url = shipping.base_url or ""
    if not base_url:
        raise SettingsProblem(
            "the carrier's address is not configured: set shipping.base_url "
            "(e.g. http://127.0.0.1:8765)"
        )
    if not base_url.startswith(("http://", "https://")):
        raise SettingsProblem(
            f"shipping.base_url must start with http:// or https://, got {base_url!r}"
        )
    api_key = shipping.api_key or os.environ.get(API_KEY_ENV, "")
    register_secret(api_key)  # kept out of every message, observation and stored run
    if not api_key:
        raise SettingsProblem(
            f"no carrier API key: set shipping.api_key or the environment variable {API_KEY_ENV}"
        )
    return CarrierSettings(
        base_url=base_url.rstrip("/"),
        api_key=api_key,
        timeout_s=shipping.timeout_s,
        policy=shipping.policy(),
        download_dir=label_download_dir(ctx),
    )


def label_download_dir(ctx: ToolContext) -> Path:
    """Where label PDFs are saved, without requiring the rest of the carrier settings."""
    download = section(ctx, "shipping", ShippingSection).download_dir
    return Path(download) if download else default_state_dir() / "labels"


def email_settings(ctx: ToolContext) -> EmailSettings:
    email = section(ctx, "email", EmailSection)
    if not email.sender:
        raise SettingsProblem("no sender address: set email.sender (e.g. returns@shop.example)")
    password = email.password or os.environ.get(EMAIL_PASSWORD_ENV) or None
    register_secret(password)
    return EmailSettings(
        host=email.host or "127.0.0.1",
        port=email.port or (465 if email.use_ssl else 25),
        sender=email.sender,
        starttls=email.starttls,
        use_ssl=email.use_ssl,
        username=email.username or None,
        password=password,
        helo_name=email.helo_name or "localhost",
        timeout_s=email.timeout_s,
        policy=email.policy(),
        state_dir=Path(email.state_dir) if email.state_dir else default_state_dir(),
    )


def approved_tools(ctx: ToolContext, known: tuple[str, ...]) -> frozenset[str]:
    """The tools of ``known`` that ``shipping.approve_unguarded_tools`` approves.

    ``true`` approves all of them; a list (or ``"a,b"``) approves those named; absent or
    false approves none. A name that is not a tool is a :class:`SettingsProblem`, so a typo
    is reported instead of quietly leaving the tool refused.
    """
    value = section(ctx, "shipping", ShippingSection).approve_unguarded_tools
    if value is True or value is False:
        return frozenset(known) if value else frozenset()
    names = list(value)
    unknown = [name for name in names if name not in known]
    if unknown:
        raise SettingsProblem(
            f"shipping.{APPROVAL_SETTING} names {', '.join(map(repr, unknown))}, which "
            f"is not a tool of this plugin; the tools are {', '.join(known)}"
        )
    return frozenset(names)
