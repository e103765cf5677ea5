"""The blocking transport's requests on httpx's asyncio client, for async runs.

An async run (``await agent.arun(...)``, :mod:`agentcore.aio`) hands each model call of a
backend that ``supports_async`` to the caller's event loop: many runs then wait on their
servers in one loop, over one connection pool, instead of holding a thread each in a
blocking read. Everything that is policy stays the blocking :class:`Transport`'s, which
this reads its settings from: the URL and its credentials, the timeouts, which failures
are retried and how long to wait, what each error says (secrets redacted).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from agentcore.plugin import BackendError
from agentcore_openai.transport import (
    RETRY_STATUSES,
    SSEEvents,
    Transport,
    _decode_json,
    _describe,
    _retry_after,
    _status_error,
)


class AsyncTransport:
    """Sends :class:`Transport`'s requests with ``httpx.AsyncClient``; one client per event
    loop (a client's connections belong to the loop that opened them)."""

    def __init__(self, sync: Transport) -> None:
        self.sync = sync
        self._clients: dict[int, Any] = {}

    async def post_json(self, path: str, body: dict[str, Any]) -> Any:
        async with self._send(path, body) as response:
            return _decode_json(await response.aread(), self.sync._display(path))

    async def post_stream(self, path: str, body: dict[str, Any]) -> AsyncIterator[Any]:
        """The JSON events of a server-sent-event response, until ``[DONE]``; closing the
        iterator early closes the response, which tells the server to stop."""
        import httpx

        url = self.sync._display(path)
        async with self._send(path, body, accept="text/event-stream") as response:
            events = SSEEvents(url)
            try:
                async for line in response.aiter_lines():
                    event = events.feed(line)
                    if event is not None:
                        yield event
                    if events.done:
                        return
            except httpx.HTTPError as exc:
                raise BackendError(f"the stream from {url} broke off: {_describe(exc)}") from exc

    def _client(self) -> Any:
        import httpx

        loop = id(asyncio.get_running_loop())
        client = self._clients.get(loop)
        if client is None or client.is_closed:
            timeout = httpx.Timeout(self.sync.timeout_s, connect=self.sync.connect_timeout_s)
            client = self._clients[loop] = httpx.AsyncClient(timeout=timeout)
        return client

    def _send(self, path: str, body: dict[str, Any], accept: str = "application/json"):
        return _Response(self, path, body, accept)


class _Response:
    """``async with``: the response to one POST, after the blocking transport's retries."""

    def __init__(self, owner: AsyncTransport, path: str, body: dict[str, Any], accept: str):
        self.owner, self.path, self.body, self.accept = owner, path, body, accept
        self.response: Any = None

    async def __aenter__(self) -> Any:
        import httpx

        sync = self.owner.sync
        url = sync._display(self.path)
        headers = {
            "Accept": self.accept,
            "User-Agent": "agentcore-openai/0.1",
            "Content-Type": "application/json",
        }
        if sync._authorization:
            headers["Authorization"] = sync._authorization
        target = f"{sync._scheme}://{sync._host}{f':{sync._port}' if sync._port else ''}"
        target += sync._target(self.path)
        payload = json.dumps(self.body).encode()
        client = self.owner._client()
        attempt = 0
        while True:
            failure: BaseException | None = None
            retry_after: float | None = None
            try:
                request = client.build_request("POST", target, content=payload, headers=headers)
                response = await client.send(request, stream=True)
            except httpx.ReadTimeout as exc:
                raise BackendError(  # the request went out: sending it again queues it twice
                    f"no answer from {url} within {sync.timeout_s:g} s; raise "
                    "-o timeout=SECONDS or lower max_new_tokens"
                ) from exc
            except httpx.TransportError as exc:  # refused, unreachable, dropped before answering
                failure = exc
            if failure is not None:
                if attempt >= sync.retry.max_retries:
                    raise BackendError(
                        f"cannot reach the OpenAI-compatible server at {url}: "
                        f"{_describe(failure)} (tried {attempt + 1} time(s)). Is the server "
                        "running? Check base_url."
                    ) from failure
            elif response.status_code < 400:
                self.response = response
                return response
            else:
                text = (await response.aread()).decode("utf-8", "replace")
                await response.aclose()
                status = response.status_code
                if status not in RETRY_STATUSES or attempt >= sync.retry.max_retries:
                    raise _status_error(status, text, url)
                retry_after = _retry_after(response.headers.get("Retry-After"))
            await asyncio.sleep(sync.retry.delay(attempt, retry_after))
            attempt += 1

    async def __aexit__(self, *exc: object) -> None:
        if self.response is not None:
            await self.response.aclose()
