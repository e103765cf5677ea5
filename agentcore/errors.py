"""Errors the user can act on.

Each carries a message that says what was wrong, where, and what to do; the CLI
prints ``str(error)`` as one line instead of a traceback. A message must never carry
a secret: :func:`redact` removes them (see the end of this module).
"""

from __future__ import annotations

import re
import threading
from typing import Any


class AgentcoreError(Exception):
    """Base class for errors caused by input or configuration, not by a bug."""


class RunCancelled(Exception):
    """Raised inside a run when cancellation was requested (Ctrl-C, ``Agent.cancel()``).

    Backends raise or pass it through from their token callbacks and report the call as
    ``finish_reason="cancelled"``; the run then ends with status ``cancelled``.
    """


class ConfigError(AgentcoreError):
    """A setting, option or argument is invalid."""


class NotFoundError(AgentcoreError):
    """A backend, tool, executor, retriever, prompt or model name is unknown."""

    def __init__(self, kind: str, name: str, available: list[str], hint: str = "") -> None:
        self.kind, self.name, self.available = kind, name, available
        listing = ", ".join(sorted(available)) or "none"
        message = f"unknown {kind} {name!r}; available: {listing}"
        if hint:
            message += f". {hint}"
        super().__init__(message)


class PromptTooLongError(AgentcoreError):
    """Even the zero-shot prompt does not fit the backend's context window."""


class BackendError(AgentcoreError):
    """A backend failed in a way the user can fix (model missing, server down, ...)."""


class UnsupportedSettingError(ConfigError):
    """A backend cannot honour a generation setting and refuses rather than ignore it."""


class ModelIntegrityError(AgentcoreError):
    """An assembled model file does not have the SHA-256 the registry records."""


# --- secrets -------------------------------------------------------------------------------
# One redaction helper for every message, output and stored run: an error quoting a server's
# answer (which may echo the Authorization header), a URL with credentials in it. Backends
# and tools register the secrets they hold; the store and the error paths call redact().

REDACTED = "[redacted]"
#: Shorter values are not secrets worth the name, and replacing them would mangle text.
MIN_SECRET_CHARS = 6

_secrets: set[str] = set()
_secrets_lock = threading.Lock()

_URL_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)[^/?#\s@]+@")
# Values are at least MIN_SECRET_CHARS long, so hints such as "-o api_key=..." stay readable.
_AUTH_VALUE = re.compile(
    r"(?P<head>\b(?:proxy-)?authorization\b[\"']?\s*[:=]\s*[\"']?(?:(?:bearer|basic|token)\s+)?)"
    r"[^\s\"',;]{6,}",
    re.IGNORECASE,
)
# "Bearer <token>" anywhere; the token must hold a digit, so prose ("bearer bonds") is left be.
_SCHEME_TOKEN = re.compile(
    r"(?P<head>\b(?:bearer|basic)\s+)(?=[A-Za-z._~+/=-]*[0-9])[A-Za-z0-9._~+/=-]{8,}",
    re.IGNORECASE,
)
_KEY_VALUE = re.compile(
    r"(?P<head>\b(?:api[_-]?key|password|passwd|secret|access[_-]?token)\b[\"']?\s*[:=]\s*[\"']?)"
    r"[^\s\"',;&]{6,}",
    re.IGNORECASE,
)


def register_secret(value: str | None) -> None:
    """Remember a secret this process holds (an API key, a password) for :func:`redact`.

    Call it where the secret is read, before anything can go wrong with it: any text
    redacted later in this process (errors, ``--json``, the run store) loses it.
    """
    if value and len(value) >= MIN_SECRET_CHARS:
        with _secrets_lock:
            _secrets.add(value)


def redact(text: str, *secrets: str | None) -> str:
    """``text`` without secrets: the registered ones and ``secrets``, credentials in URLs
    (``http://user:pass@host`` → ``http://[redacted]@host``), and the values of
    ``Authorization``/``Bearer``/``Basic`` and ``api_key=``/``password=`` pairs."""
    if not text:
        return text
    with _secrets_lock:
        known = set(_secrets)
    known.update(s for s in secrets if s and len(s) >= MIN_SECRET_CHARS)
    for secret in sorted(known, key=len, reverse=True):  # a longer secret may contain a shorter
        if secret in text:
            text = text.replace(secret, REDACTED)
    text = _URL_USERINFO.sub(rf"\g<scheme>{REDACTED}@", text)
    text = _AUTH_VALUE.sub(rf"\g<head>{REDACTED}", text)
    text = _SCHEME_TOKEN.sub(rf"\g<head>{REDACTED}", text)
    return _KEY_VALUE.sub(rf"\g<head>{REDACTED}", text)


def redact_data(value: Any, *secrets: str | None) -> Any:
    """:func:`redact` applied to every string (and key) inside JSON-like data, before it is
    serialized (so JSON escaping cannot hide a secret from the redaction)."""
    if isinstance(value, str):
        return redact(value, *secrets)
    if isinstance(value, dict):
        return {
            redact(k, *secrets) if isinstance(k, str) else k: redact_data(v, *secrets)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact_data(v, *secrets) for v in value]
    return value
