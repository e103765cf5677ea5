"""Reading the plugin's settings from a :class:`~agentcore.tools.ToolContext`.

Section ``shipping`` configures the carrier client, section ``email`` the SMTP
client. Secrets may come from the environment instead of the settings file
(``AGENTCORE_SHIPPING_API_KEY``, ``AGENTCORE_EMAIL_PASSWORD``). A missing or
malformed setting raises :class:`SettingsProblem`, which the tools turn into an
observation naming the setting to fix.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentcore.errors import register_secret
from agentcore.tools import ToolContext
from agentcore_shipping.retry import RetryPolicy

API_KEY_ENV = "AGENTCORE_SHIPPING_API_KEY"
EMAIL_PASSWORD_ENV = "AGENTCORE_EMAIL_PASSWORD"
STATE_DIR_ENV = "AGENTCORE_SHIPPING_STATE_DIR"
#: ``shipping.<this>``: the operator's approval of the side-effect tools (no environment
#: variable can give it: it must be in the settings the agent was started with).
APPROVAL_SETTING = "approve_unguarded_tools"
_YES = frozenset({"true", "yes", "on", "1"})
_NO = frozenset({"false", "no", "off", "0", ""})


class SettingsProblem(Exception):
    """A setting is missing or has the wrong type; the message names it."""


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
    base_url = _str(ctx, "shipping", "base_url")
    if not base_url:
        raise SettingsProblem(
            "the carrier's address is not configured: set shipping.base_url "
            "(e.g. http://127.0.0.1:8765)"
        )
    if not base_url.startswith(("http://", "https://")):
        raise SettingsProblem(
            f"shipping.base_url must start with http:// or https://, got {base_url!r}"
        )
    api_key = _str(ctx, "shipping", "api_key") or os.environ.get(API_KEY_ENV, "")
    register_secret(api_key)  # kept out of every message, observation and stored run
    if not api_key:
        raise SettingsProblem(
            f"no carrier API key: set shipping.api_key or the environment variable {API_KEY_ENV}"
        )
    return CarrierSettings(
        base_url=base_url.rstrip("/"),
        api_key=api_key,
        timeout_s=_number(ctx, "shipping", "timeout_s", 10.0),
        policy=_policy(ctx, "shipping"),
        download_dir=label_download_dir(ctx),
    )


def label_download_dir(ctx: ToolContext) -> Path:
    """Where label PDFs are saved, without requiring the rest of the carrier settings."""
    download = _str(ctx, "shipping", "download_dir")
    return Path(download) if download else default_state_dir() / "labels"


def email_settings(ctx: ToolContext) -> EmailSettings:
    sender = _str(ctx, "email", "sender")
    if not sender:
        raise SettingsProblem("no sender address: set email.sender (e.g. returns@shop.example)")
    use_ssl = _bool(ctx, "email", "use_ssl", False)
    state = _str(ctx, "email", "state_dir")
    password = _str(ctx, "email", "password") or os.environ.get(EMAIL_PASSWORD_ENV) or None
    register_secret(password)
    return EmailSettings(
        host=_str(ctx, "email", "host") or "127.0.0.1",
        port=int(_number(ctx, "email", "port", 465 if use_ssl else 25)),
        sender=sender,
        starttls=_bool(ctx, "email", "starttls", False),
        use_ssl=use_ssl,
        username=_str(ctx, "email", "username") or None,
        password=password,
        helo_name=_str(ctx, "email", "helo_name") or "localhost",
        timeout_s=_number(ctx, "email", "timeout_s", 10.0),
        policy=_policy(ctx, "email"),
        state_dir=Path(state) if state else default_state_dir(),
    )


def approved_tools(ctx: ToolContext, known: tuple[str, ...]) -> frozenset[str]:
    """The tools of ``known`` that ``shipping.approve_unguarded_tools`` approves.

    ``true`` approves all of them; a list (or ``"a,b"``) approves those named; absent or
    false approves none. A name that is not a tool is a :class:`SettingsProblem`, so a typo
    is reported instead of quietly leaving the tool refused.
    """
    value: Any = ctx.setting("shipping", APPROVAL_SETTING, None)
    if value is None or value is False:
        return frozenset()
    if value is True:
        return frozenset(known)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _YES:
            return frozenset(known)
        if word in _NO:
            return frozenset()
        names = [part.strip() for part in value.split(",") if part.strip()]
    elif isinstance(value, list | tuple | set | frozenset):
        names = [str(part).strip() for part in value]
    else:
        raise SettingsProblem(
            f"shipping.{APPROVAL_SETTING} must be true, false or tool names, got {value!r}"
        )
    unknown = [name for name in names if name not in known]
    if unknown:
        raise SettingsProblem(
            f"shipping.{APPROVAL_SETTING} names {', '.join(map(repr, unknown))}, which "
            f"is not a tool of this plugin; the tools are {', '.join(known)}"
        )
    return frozenset(names)


def _policy(ctx: ToolContext, section: str) -> RetryPolicy:
    deadline = ctx.setting(section, "deadline_s", 60.0)
    try:
        return RetryPolicy(
            max_attempts=int(_number(ctx, section, "max_attempts", 4)),
            base_delay_s=_number(ctx, section, "backoff_base_s", 0.5),
            max_delay_s=_number(ctx, section, "backoff_max_s", 8.0),
            deadline_s=None if deadline is None else _number(ctx, section, "deadline_s", 60.0),
        )
    except ValueError as exc:
        raise SettingsProblem(f"{section} retry settings: {exc}") from exc


def _str(ctx: ToolContext, section: str, key: str) -> str:
    value: Any = ctx.setting(section, key, None)
    if value is None:
        return ""
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if not isinstance(value, str):
        raise SettingsProblem(f"{section}.{key} must be a string, got {type(value).__name__}")
    return value.strip()


def _number(ctx: ToolContext, section: str, key: str, default: float) -> float:
    value: Any = ctx.setting(section, key, default)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise SettingsProblem(f"{section}.{key} must be a number, got {value!r}")
    try:
        return float(value)
    except ValueError:
        raise SettingsProblem(f"{section}.{key} must be a number, got {value!r}") from None


def _bool(ctx: ToolContext, section: str, key: str, default: bool) -> bool:
    value: Any = ctx.setting(section, key, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if isinstance(value, str) and value.strip().lower() in {"0", "false", "no", "off", ""}:
        return False
    raise SettingsProblem(f"{section}.{key} must be true or false, got {value!r}")
