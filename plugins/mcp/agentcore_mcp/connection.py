"""One live connection to an MCP server, usable from any thread.

The SDK's client is asyncio (anyio) and must be entered and left in one task; agentcore's
tools are called from run threads. So each connection owns an event loop in a thread of its
own, where one task holds the client open for the connection's life; a tool call from any
thread is a coroutine submitted to that loop, waited for with the tool's time limit.

A server given as ``http://…`` / ``https://…`` is reached over streamable HTTP; anything
else is a command line, started as a subprocess speaking stdio (its stderr is kept, so a
server that fails to start is reported with what it said).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import shlex
import sys
import tempfile
import threading
from typing import Any

from agentcore.plugin import ConfigError

#: How long a server may take to start and answer the first request.
START_TIMEOUT_S = 30.0


class ServerGone(Exception):
    """The MCP server's connection ended (it exited, crashed, or the network went)."""


class MCPConnection:
    """A connection to the MCP server ``source`` (a URL, or a command line)."""

    def __init__(self, source: str, *, start_timeout_s: float = START_TIMEOUT_S) -> None:
        self.source = source.strip()
        if not self.source:
            raise ConfigError("an MCP server needs a command (python server.py) or a URL")
        self.name = _short_name(self.source)
        # kept open for the connection's life: a stdio server's stderr, for error messages
        self._errlog = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")  # noqa: SIM115
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name=f"mcp-{self.name}", daemon=True
        )
        self._thread.start()
        self._ready: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self._stop: asyncio.Event | None = None
        self._client: Any = None
        self._ended: BaseException | None = None
        self._holder = asyncio.run_coroutine_threadsafe(self._hold(), self._loop)
        try:
            self.tools = self._ready.result(timeout=start_timeout_s)
        except concurrent.futures.TimeoutError:
            said = self._said()
            self.close()
            raise ConfigError(
                f"MCP server {self.name!r} did not answer within {start_timeout_s:g} s "
                f"({said}); check the command or URL"
            ) from None
        except Exception as exc:
            said = self._said()
            self.close()
            raise ConfigError(
                f"MCP server {self.name!r} failed to start: {_describe(exc)} ({said}); check "
                "the command or URL"
            ) from None

    # -- the task that holds the client ------------------------------------------------------

    async def _hold(self) -> None:
        from mcp import Client

        self._stop = asyncio.Event()
        try:
            async with Client(self._transport()) as client:
                self._client = client
                listed = await client.list_tools()
                if not self._ready.done():
                    self._ready.set_result(list(listed.tools))
                await self._stop.wait()
        except BaseException as exc:  # it failed to start, or the connection ended
            self._ended = exc
            if not self._ready.done():
                self._ready.set_exception(exc if isinstance(exc, Exception) else ServerGone())
        finally:
            self._client = None

    def _transport(self) -> Any:
        if self.source.startswith(("http://", "https://")):
            from mcp.client.streamable_http import streamable_http_client

            return streamable_http_client(self.source)
        from mcp import StdioServerParameters
        from mcp.client.stdio import stdio_client

        command, *args = shlex.split(self.source)
        if command == "python":  # the interpreter agentcore runs on, not whatever is first
            command = sys.executable
        return stdio_client(StdioServerParameters(command=command, args=args), errlog=self._errlog)

    # -- calls -------------------------------------------------------------------------------

    def call_tool(self, tool: str, arguments: dict[str, Any], timeout_s: float | None) -> Any:
        """The server's ``CallToolResult``; :class:`ServerGone` if the connection ended,
        ``TimeoutError`` past ``timeout_s`` (the request is cancelled)."""
        client = self._client
        if client is None:
            raise ServerGone(self._end_reason())
        future = asyncio.run_coroutine_threadsafe(client.call_tool(tool, arguments), self._loop)
        try:
            return future.result(timeout=timeout_s)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError(f"no answer within {timeout_s:g} s") from None
        except Exception as exc:
            if _closed(exc):  # the server exited or the network went: no call gets through now
                self._client, self._ended = None, exc
            if self._client is None or self._holder.done():
                raise ServerGone(self._end_reason()) from exc
            raise

    def _end_reason(self) -> str:
        said = self._said()
        reason = _describe(self._ended) if self._ended is not None else "the connection ended"
        return f"{reason}{f' ({said})' if said != 'it printed nothing' else ''}"

    def _said(self) -> str:
        """The end of what the server wrote to stderr (a stdio server)."""
        try:
            self._errlog.flush()
            self._errlog.seek(0)
            text = " ".join(self._errlog.read().split())
        except (OSError, ValueError):
            return "its output is gone"
        return f"it said: …{text[-300:]}" if text else "it printed nothing"

    def close(self) -> None:
        """End the connection (a stdio server is stopped) and the loop's thread."""
        if self._stop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._stop.set)
        with contextlib.suppress(Exception):  # ending anyway; the calls reported why
            self._holder.result(timeout=10)
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._errlog.close()


def _closed(exc: BaseException) -> bool:
    """Whether ``exc`` is the SDK saying the connection is closed (not a tool's error)."""
    from mcp.shared.exceptions import MCPError
    from mcp_types.jsonrpc import CONNECTION_CLOSED

    return isinstance(exc, MCPError) and exc.code == CONNECTION_CLOSED


def _short_name(source: str) -> str:
    if source.startswith(("http://", "https://")):
        return source.split("://", 1)[1].split("/", 1)[0]
    parts = shlex.split(source)
    if len(parts) > 2 and parts[1] in ("-c", "-m"):
        return parts[2] if parts[1] == "-m" else parts[0]
    script = next((p for p in parts[1:] if not p.startswith("-")), parts[0] if parts else source)
    return script.rsplit("/", 1)[-1]


def _describe(exc: BaseException | None) -> str:
    if exc is None:
        return "unknown"
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(_describe(e) for e in exc.exceptions)
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
