"""A client of the carrier's return-label HTTP API (standard library only).

The API (implemented by the reference service in ``examples/shopbot``):

* ``POST /v1/return-labels`` with ``Authorization: Bearer KEY``, an
  ``Idempotency-Key`` header and a JSON body ``{order_id, items, customer_email,
  reason?}``: 201 with the new label, or 200 replaying the label an earlier request
  with the same key created; 401 bad key, 422 invalid input, 409 the key was used
  for a different body.
* ``GET /v1/return-labels/{id}`` and ``GET /v1/return-labels/{id}/pdf``.

Because every label request carries a key derived from what is asked for, any
failure that leaves us unsure whether the carrier acted (5xx, 429, a timeout, a
dropped connection) is retried with the same key: at worst the carrier replays
the label it already made. Failures come back as :class:`CarrierError` with a
``kind`` the tool reports to the model.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import ssl
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentcore.plugin import redact, redact_data, register_secret
from agentcore_shipping.keys import label_idempotency_key, normalize_email
from agentcore_shipping.retry import RetryClock, RetryPolicy

LABEL_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_RETRYABLE_STATUS = {408, 429, 500, 502, 503, 504}
_MAX_RESPONSE_BYTES = 20 * 1024 * 1024


class CarrierError(Exception):
    """The carrier could not give us a label; ``kind`` says why in one word.

    Kinds: ``carrier_unavailable`` (5xx / 429 / refused or dropped connections,
    after retries), ``timeout`` (no answer in time, after retries),
    ``invalid_request`` (400 / 422), ``auth_failed`` (401 / 403), ``conflict`` (409),
    ``not_found`` (404), ``protocol_error`` (an answer we cannot read).
    """

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        status: int | None = None,
        attempts: int = 0,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        # What the carrier said is quoted, and a carrier (or a proxy) may echo our key.
        super().__init__(redact(message))
        self.kind = kind
        self.status = status
        self.attempts = attempts
        self.details = redact_data(dict(details or {}))


@dataclass(frozen=True)
class IssuedLabel:
    """A label the carrier issued (or replayed), and where its PDF is."""

    label_id: str
    tracking_number: str
    order_id: str
    items: list[str]
    customer_email: str
    pdf_url: str
    idempotency_key: str
    replayed: bool
    attempts: int
    created_at: str = ""
    pdf_path: str | None = None


@dataclass
class _Response:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None


@dataclass
class CarrierClient:
    """Talks to one carrier API with one key; every call is retried per ``policy``."""

    base_url: str
    api_key: str
    timeout_s: float = 10.0
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    rng: random.Random = field(default_factory=random.Random)
    sleep: Callable[[float], None] = time.sleep
    user_agent: str = "agentcore-shipping/0.1"

    def __post_init__(self) -> None:
        register_secret(self.api_key)  # no error or observation may quote it (redact())
        parsed = urllib.parse.urlsplit(self.base_url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(
                "carrier base URL must be http(s)://host[:port][/path], got "
                f"{redact(self.base_url)!r}"
            )
        self._parsed = parsed

    # -- the API ------------------------------------------------------------------------

    def request_return_label(
        self,
        order_id: str,
        items: Sequence[str],
        customer_email: str,
        reason: str | None = None,
    ) -> IssuedLabel:
        """Ask for a return label; safe to call again with the same arguments."""
        key = label_idempotency_key(order_id, items, customer_email)
        body: dict[str, Any] = {
            "order_id": order_id.strip(),
            "items": sorted(item.strip() for item in items),
            "customer_email": normalize_email(customer_email),
        }
        if reason:
            body["reason"] = reason.strip()
        response, attempts = self._call(
            "POST", "/v1/return-labels", body=body, headers={"Idempotency-Key": key}
        )
        data = response.json()
        if not isinstance(data, dict) or not all(
            isinstance(data.get(f), str) for f in ("label_id", "tracking_number")
        ):
            raise CarrierError(
                "protocol_error",
                f"the carrier answered {response.status} without a label id and tracking number",
                status=response.status,
                attempts=attempts,
            )
        label_id = data["label_id"]
        if not LABEL_ID_RE.match(label_id):
            raise CarrierError(
                "protocol_error", f"the carrier returned an unusable label id {label_id!r}"
            )
        links = data.get("links") if isinstance(data.get("links"), dict) else {}
        pdf_link = links.get("pdf") or f"/v1/return-labels/{label_id}/pdf"
        replayed = response.status == 200 or response.headers.get("idempotent-replayed") == "true"
        return IssuedLabel(
            label_id=label_id,
            tracking_number=data["tracking_number"],
            order_id=str(data.get("order_id", body["order_id"])),
            items=list(data.get("items", body["items"])),
            customer_email=str(data.get("customer_email", body["customer_email"])),
            pdf_url=self.absolute(pdf_link),
            idempotency_key=key,
            replayed=replayed,
            attempts=attempts,
            created_at=str(data.get("created_at", "")),
        )

    def fetch_label_pdf(self, label_id: str) -> bytes:
        """The label's PDF bytes (checked to be a PDF)."""
        if not LABEL_ID_RE.match(label_id):
            raise CarrierError("invalid_request", f"{label_id!r} is not a label id")
        response, attempts = self._call("GET", f"/v1/return-labels/{label_id}/pdf")
        if not response.body.startswith(b"%PDF-"):
            raise CarrierError(
                "protocol_error",
                f"the carrier's PDF for {label_id} is not a PDF document",
                attempts=attempts,
            )
        return response.body

    def absolute(self, link: str) -> str:
        """Resolve a link from a response against the base URL."""
        if link.startswith(("http://", "https://")):
            return link
        return f"{self.base_url.rstrip('/')}/{link.lstrip('/')}"

    # -- transport ------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[_Response, int]:
        """One logical request with retries; returns a 2xx response and the attempts used."""
        clock = RetryClock(self.policy, rng=self.rng, sleep=self.sleep)
        payload = json.dumps(body).encode() if body is not None else None
        last_problem = ""
        last_kind = "carrier_unavailable"
        while True:
            attempt = clock.begin_attempt()
            remaining = clock.remaining()
            timeout = (
                self.timeout_s if remaining is None else max(0.05, min(self.timeout_s, remaining))
            )
            retry_after = 0.0
            try:
                response = self._send_once(method, path, payload, headers or {}, timeout)
            except TimeoutError:
                last_kind, last_problem = "timeout", f"no answer within {timeout:g} s"
            except ConnectionRefusedError:
                last_kind, last_problem = "carrier_unavailable", "connection refused"
            except ssl.SSLError as exc:  # a certificate problem will not fix itself
                raise CarrierError(
                    "carrier_unavailable",
                    f"TLS error talking to the carrier: {exc}",
                    attempts=attempt,
                ) from exc
            except (OSError, http.client.HTTPException) as exc:
                last_kind = "carrier_unavailable"
                detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                last_problem = f"connection failed ({detail})"
            else:
                if 200 <= response.status < 300:
                    return response, attempt
                if response.status not in _RETRYABLE_STATUS:
                    raise _status_error(response, attempt)
                last_kind = "carrier_unavailable"
                last_problem = f"HTTP {response.status}{_error_suffix(response)}"
                retry_after = _retry_after(response.headers.get("retry-after"))
            if not clock.wait_before_retry(retry_after):
                break
        where = self.base_url
        if last_kind == "timeout":
            message = (
                f"the carrier at {where} did not answer in time after {clock.attempts} attempt(s) "
                f"({last_problem})"
            )
        else:
            message = (
                f"the carrier at {where} is unavailable after {clock.attempts} attempt(s) "
                f"(last: {last_problem})"
            )
        raise CarrierError(last_kind, message, attempts=clock.attempts)

    def _send_once(
        self,
        method: str,
        path: str,
        payload: bytes | None,
        extra_headers: Mapping[str, str],
        timeout: float,
    ) -> _Response:
        parsed = self._parsed
        conn_cls = (
            http.client.HTTPSConnection if parsed.scheme == "https" else http.client.HTTPConnection
        )
        conn = conn_cls(parsed.hostname, parsed.port, timeout=timeout)
        headers = {
            "Authorization": f"Bearer {self.api_key}",
            "Accept": "application/json, application/pdf",
            "User-Agent": self.user_agent,
            **extra_headers,
        }
        if payload is not None:
            headers["Content-Type"] = "application/json"
        try:
            conn.request(method, parsed.path.rstrip("/") + path, body=payload, headers=headers)
            raw = conn.getresponse()
            body = raw.read(_MAX_RESPONSE_BYTES + 1)
            if len(body) > _MAX_RESPONSE_BYTES:
                raise http.client.HTTPException("response larger than 20 MiB")
            return _Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, body)
        finally:
            conn.close()


def save_pdf(directory: Path, label_id: str, pdf: bytes) -> Path:
    """Write ``pdf`` to ``directory/<label_id>.pdf`` atomically and return the path."""
    if not LABEL_ID_RE.match(label_id):
        raise ValueError(f"{label_id!r} is not a label id")
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{label_id}.pdf"
    fd, tmp = tempfile.mkstemp(prefix=f".{label_id}.", suffix=".part", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pdf)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _status_error(response: _Response, attempts: int) -> CarrierError:
    status = response.status
    error = _error_body(response)
    server_message = error.get("message") or ""
    details: dict[str, Any] = {k: v for k, v in error.items() if k != "message"}
    fields = details.get("fields")
    if status in (401, 403):
        kind, text = "auth_failed", "the carrier rejected our API key (check shipping.api_key)"
        server_message = ""  # how to send a key is not the model's business
    elif status in (400, 413, 422):
        kind, text = "invalid_request", "the carrier rejected the request as invalid"
        if isinstance(fields, dict) and fields:
            server_message = "; ".join(f"{name}: {why}" for name, why in fields.items())
    elif status == 409:
        existing = details.get("label_id")
        kind = "conflict"
        text = (
            f"label {existing or '(unknown id)'} was already issued for this order, these "
            "items and this email, with different details (such as the reason); no second "
            "label was issued"
        )
        server_message = ""
    elif status == 404:
        kind, text = "not_found", "the carrier has no such label"
    else:
        kind, text = "invalid_request", f"the carrier refused the request (HTTP {status})"
    if server_message:
        text += f": {server_message}"
    return CarrierError(kind, text, status=status, attempts=attempts, details=details)


def _error_body(response: _Response) -> dict[str, Any]:
    data = response.json()
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        return {k: v for k, v in data["error"].items() if isinstance(k, str)}
    return {}


def _error_suffix(response: _Response) -> str:
    message = _error_body(response).get("message")
    return f" ({message})" if isinstance(message, str) and message else ""


def _retry_after(value: str | None) -> float:
    """Seconds from a ``Retry-After`` header given in seconds (dates are ignored)."""
    if not value:
        return 0.0
    try:
        return max(0.0, float(value))
    except ValueError:
        return 0.0
