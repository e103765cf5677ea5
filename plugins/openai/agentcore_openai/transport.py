"""JSON over HTTP with bounded retries, and server-sent events, on the standard library.

Retried (with exponential backoff and jitter, honouring ``Retry-After``): a
connection that could not be made or was dropped before a response, and the
statuses that mean "try again later" (429, 500, 502, 503, 504). Everything
else becomes a :class:`~agentcore.errors.BackendError` that says what to fix.
A streamed response is never retried once its body has started.

Secrets stay out of every message: the API key and the credentials of a
``base_url`` such as ``http://user:pass@host/v1`` (sent as HTTP Basic auth)
are registered with :func:`agentcore.errors.register_secret`, the URL is only
ever shown without its userinfo, and whatever the server said — some servers
and proxies echo the ``Authorization`` header in their errors — passes
through :func:`agentcore.errors.redact` before it is quoted.
"""

from __future__ import annotations

import base64
import email.utils
import http.client
import json
import random
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from agentcore.plugin import BackendError, redact, register_secret

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class HTTPStatusError(BackendError):
    """The server answered with an error status (after any retries)."""

    def __init__(self, message: str, status: int, body: str) -> None:
        super().__init__(redact(message))
        self.status = status
        self.body = redact(body)


@dataclass
class RetryPolicy:
    """How often and how long to wait before trying a request again."""

    max_retries: int = 3
    backoff_s: float = 0.5
    max_backoff_s: float = 30.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_backoff_s)
        ceiling = min(self.max_backoff_s, self.backoff_s * (2**attempt))
        # "Equal jitter": at least half the exponential step, so retries spread out yet back off.
        return ceiling / 2 + random.uniform(0, ceiling / 2)


class Transport:
    """Sends requests to one server (``base_url``, e.g. ``http://127.0.0.1:8000/v1``)."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None,
        timeout_s: float,
        connect_timeout_s: float,
        retry: RetryPolicy,
    ) -> None:
        parts = urlsplit(base_url)
        credentials = _userinfo_credentials(parts.username, parts.password)
        for secret in (api_key, parts.password, unquote(parts.password or ""), credentials):
            register_secret(secret)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BackendError(
                f"openai backend: base_url {redact(base_url)!r} is not an http(s) URL; "
                "use e.g. -o base_url=http://127.0.0.1:8000/v1"
            )
        self._authorization = (
            f"Bearer {api_key}" if api_key else f"Basic {credentials}" if credentials else None
        )
        self.base_url = redact(base_url.rstrip("/"))  # for messages: never the userinfo
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self.api_key = api_key
        self.timeout_s = timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.retry = retry

    # -- public ------------------------------------------------------------------------------

    def get_json(self, path: str) -> Any:
        response, connection = self._send("GET", path, None)
        try:
            return _decode_json(response.read(), self._display(path))
        finally:
            connection.close()

    def post_json(self, path: str, body: dict[str, Any]) -> Any:
        response, connection = self._send("POST", path, body)
        try:
            return _decode_json(response.read(), self._display(path))
        finally:
            connection.close()

    def post_stream(self, path: str, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """The JSON events of a server-sent-event response, until ``[DONE]``.

        Closing the iterator early (a stop sequence was found, the run was
        cancelled) closes the connection, which tells the server to stop.
        """
        response, connection = self._send("POST", path, body, accept="text/event-stream")
        try:
            yield from _sse_events(response, self._display(path))
        except (OSError, http.client.HTTPException) as exc:
            raise BackendError(
                f"the stream from {self._display(path)} broke off: {_describe(exc)}"
            ) from exc
        finally:
            connection.close()

    # -- internals ---------------------------------------------------------------------------

    def _target(self, path: str) -> str:
        """Request target: paths starting with '/' are under base_url; '//x' is from the root."""
        if path.startswith("//"):
            return path[1:]
        return self._prefix + path

    def _send(
        self, method: str, path: str, body: dict[str, Any] | None, accept: str = "application/json"
    ) -> tuple[http.client.HTTPResponse, http.client.HTTPConnection]:
        payload = json.dumps(body).encode() if body is not None else None
        headers = {"Accept": accept, "User-Agent": "agentcore-openai/0.1"}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        if self._authorization:
            headers["Authorization"] = self._authorization
        url = self._display(path)
        attempt = 0
        while True:
            connection = self._connection()
            failure: BaseException | None = None
            retry_after: float | None = None
            try:
                connection.connect()
            except OSError as exc:  # refused, unreachable, or no connection within the limit
                failure = exc
            else:
                if connection.sock is not None:
                    connection.sock.settimeout(self.timeout_s)
                try:
                    connection.request(method, self._target(path), body=payload, headers=headers)
                    response = connection.getresponse()
                except TimeoutError as exc:
                    connection.close()
                    # The request went out: the server may be generating a long answer.
                    # Sending it again would only queue the same work twice.
                    raise BackendError(
                        f"no answer from {url} within {self.timeout_s:g} s; raise "
                        "-o timeout=SECONDS or lower max_new_tokens"
                    ) from exc
                except (OSError, http.client.HTTPException) as exc:  # dropped before answering
                    failure = exc
            if failure is not None:
                connection.close()
                if attempt >= self.retry.max_retries:
                    raise BackendError(
                        f"cannot reach the OpenAI-compatible server at {url}: "
                        f"{_describe(failure)} (tried {attempt + 1} time(s)). Is the server "
                        "running? Check base_url."
                    ) from failure
            else:
                if response.status < 400:
                    return response, connection
                text = response.read().decode("utf-8", "replace")
                connection.close()
                if response.status not in RETRY_STATUSES or attempt >= self.retry.max_retries:
                    raise _status_error(response.status, text, url)
                retry_after = _retry_after(response.getheader("Retry-After"))
            self.retry.sleep(self.retry.delay(attempt, retry_after))
            attempt += 1

    def _connection(self) -> http.client.HTTPConnection:
        if self._scheme == "https":
            return http.client.HTTPSConnection(
                self._host, self._port, timeout=self.connect_timeout_s
            )
        return http.client.HTTPConnection(self._host, self._port, timeout=self.connect_timeout_s)

    def _display(self, path: str) -> str:
        if path.startswith("//"):
            root = self.base_url[: len(self.base_url) - len(self._prefix)]
            return root + path[1:]
        return self.base_url + path


def _sse_events(response: http.client.HTTPResponse, url: str) -> Iterator[dict[str, Any]]:
    events = SSEEvents(url)
    while not events.done:
        raw = response.readline()
        if not raw:
            return
        event = events.feed(raw.decode("utf-8"))
        if event is not None:
            yield event


class SSEEvents:
    """Server-sent events read line by line (by the blocking and the asyncio transport): each
    :meth:`feed` returns the JSON event a line completes, or ``None``; ``done`` after
    ``[DONE]``. An error event raises :class:`BackendError`."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.done = False
        self._data: list[str] = []

    def feed(self, line: str) -> dict[str, Any] | None:
        line = line.rstrip("\r\n")
        if line.startswith("data:"):
            self._data.append(line[5:].removeprefix(" "))
            return None
        if line or not self._data:
            return None  # comments (": ping"), "event:"/"id:" fields, or stray blank lines
        payload, self._data = "\n".join(self._data), []
        if payload.strip() == "[DONE]":
            self.done = True
            return None
        event = _decode_json(payload.encode(), self.url)
        if isinstance(event, dict) and event.get("error"):
            raise BackendError(
                redact(f"the server reported an error mid-stream: {_message(event)}")
            )
        return event


def _status_error(status: int, text: str, url: str) -> HTTPStatusError:
    detail = _message(_try_json(text)) or text.strip()[:300]
    if status in (401, 403):
        hint = (
            "the server refused the API key; set OPENAI_API_KEY or AGENTCORE_OPENAI_API_KEY, "
            "or pass -o api_key=..."
        )
    elif status == 404:
        hint = (
            "not found; check base_url (it usually ends in /v1, e.g. http://127.0.0.1:8000/v1) "
            "and the model name"
        )
    elif status == 429:
        hint = "rate limited, and still after the retries; try again later or lower the load"
    elif status >= 500:
        hint = "the server failed, and still after the retries"
    else:
        hint = "the server rejected the request"
    return HTTPStatusError(
        f"{url} answered HTTP {status}: {hint}. Server said: {detail}", status, text
    )


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: a number of seconds or an HTTP date."""
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _decode_json(raw: bytes, url: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError as exc:
        snippet = redact(raw[:200].decode("utf-8", "replace"))
        raise BackendError(f"{url} did not answer with JSON: {snippet!r}") from exc


def _try_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _message(payload: Any) -> str:
    """The human-readable part of an OpenAI-style (or FastAPI-style) error body."""
    if not isinstance(payload, dict):
        return ""
    error = payload.get("error", payload.get("detail"))
    if isinstance(error, dict):
        return str(error.get("message") or error)
    if error:
        return str(error)
    return ""


def _describe(exc: BaseException) -> str:
    if isinstance(exc, socket.gaierror):
        return f"host name not resolved ({exc})"
    return redact(f"{type(exc).__name__}: {exc}") if str(exc) else type(exc).__name__


def has_userinfo(base_url: str) -> bool:
    """Does ``base_url`` carry credentials (``http://user:pass@host/...``)?"""
    parts = urlsplit(base_url)
    return parts.username is not None or parts.password is not None


def _userinfo_credentials(username: str | None, password: str | None) -> str | None:
    """The HTTP Basic credentials (base64 of ``user:password``) a URL's userinfo stands for."""
    if username is None and password is None:
        return None
    pair = f"{unquote(username or '')}:{unquote(password or '')}"
    return base64.b64encode(pair.encode()).decode()
