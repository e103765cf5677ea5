"""An MCP server's tools as agentcore tools: same schema, validation, time limit, observations.

Each tool keeps the server's JSON schema — it is what the prompt shows and what the ReAct
grammar is built from — and validates a call against it (``jsonschema``) before it goes out,
so a malformed call is an observation the model can fix, as with any tool. What the server
returns becomes the observation: its text content, or its structured content as JSON; a
result the server marks as an error, a timeout, and a server that went away are failed
results that say so, never exceptions in the loop.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from agentcore.models import ToolSpec
from agentcore.plugin import Tool, ToolContext, ToolResult
from agentcore_mcp.connection import MCPConnection, ServerGone

DEFAULT_TIMEOUT_S = 30.0


def mcp_tools(
    source: str,
    *,
    prefix: str = "",
    timeout_s: float | None = DEFAULT_TIMEOUT_S,
    only: list[str] | None = None,
) -> list[MCPTool]:
    """Connect to the MCP server ``source`` (``python server.py``, ``http://host/mcp``) and
    return its tools (``only`` those named), each named ``prefix`` + the server's name.

    The connection lasts as long as the tools are referenced (a stdio server then stops);
    :meth:`MCPTool.close` on any of them ends it now.
    """
    connection = MCPConnection(source)
    listed = {tool.name: tool for tool in connection.tools}
    missing = sorted(set(only or ()) - set(listed))
    if missing:
        connection.close()
        raise _config_error(
            f"MCP server {connection.name!r} has no tool {', '.join(missing)} (it has: "
            f"{', '.join(sorted(listed)) or 'none'})"
        )
    chosen = [listed[name] for name in (only or sorted(listed))]
    return [MCPTool(connection, tool, prefix=prefix, timeout_s=timeout_s) for tool in chosen]


class MCPTool(Tool):
    """One tool of an MCP server (see :func:`mcp_tools`)."""

    def __init__(
        self, connection: MCPConnection, listed: Any, *, prefix: str, timeout_s: float | None
    ) -> None:
        # Not Tool.__init__: that reads a Python function's signature; this tool's arguments
        # are the server's JSON schema. The attributes are the ones Tool's methods use.
        schema = dict(listed.input_schema or {"type": "object", "properties": {}})
        self.fn = _placeholder
        self.name = _identifier(prefix + listed.name)
        self.description = _described(listed)
        self.effect = "side_effect" if _acts(listed) else "idempotent"
        self.requires_approval = False
        self.connection = connection
        self.server_name = listed.name
        self.timeout_s = timeout_s
        self.schema = _clean(schema)
        properties = self.schema.get("properties", {})
        only = next(iter(properties)) if len(properties) == 1 else None
        self._string_argument = (
            only if only is not None and properties[only].get("type") == "string" else None
        )

    @property
    def spec(self) -> ToolSpec:
        return ToolSpec(
            name=self.name,
            description=self.description,
            parameters=self.schema,
            string_argument=self._string_argument,
            timeout_s=self.timeout_s,
            effect=self.effect,
            requires_approval=self.requires_approval,
        )

    def validate(self, arguments: Mapping[str, Any] | str) -> dict[str, Any]:
        import jsonschema

        raw = self.coerce_arguments(arguments)
        try:
            jsonschema.validate(raw, self.schema)
        except jsonschema.ValidationError as exc:
            where = ".".join(str(p) for p in exc.absolute_path)
            raise ValueError(f"{where + ': ' if where else ''}{exc.message}") from None
        return raw

    def invoke(
        self, arguments: Mapping[str, Any] | str, context: ToolContext | None = None
    ) -> ToolResult:
        started = time.perf_counter()

        def result(ok: bool, observation: str, kind: str | None = None, data: Any = None):
            return ToolResult(
                tool=self.name, ok=ok, observation=observation, error_kind=kind,
                duration_s=time.perf_counter() - started, data=data,
            )  # fmt: skip

        try:
            kwargs = self.validate(arguments)
        except ValueError as exc:
            return result(
                False,
                f"Invalid arguments for {self.name}: {exc}. Expected {self.spec.usage()}.",
                "invalid_arguments",
            )
        try:
            answer = self.connection.call_tool(self.server_name, kwargs, self.timeout_s)
        except TimeoutError:
            return result(False, f"{self.name} timed out after {self.timeout_s:g} s.", "timeout")
        except ServerGone as exc:
            where = self.connection.name
            return result(False, f"{self.name} failed: the MCP server {where} is gone: {exc}.",
                          "server_gone")  # fmt: skip
        except Exception as exc:  # a protocol error the server sent: information for the model
            return result(False, f"{self.name} failed: {type(exc).__name__}: {exc}", "exception")
        text = _text_of(answer)
        if answer.is_error:
            return result(False, f"{self.name} failed: {text}", "tool_error")
        return result(True, text, data=answer.structured_content)

    def close(self) -> None:
        """End the connection to the server (all its tools stop working)."""
        self.connection.close()


def _text_of(answer: Any) -> str:
    texts = [block.text for block in answer.content if getattr(block, "type", "") == "text"]
    if texts:
        return "\n".join(texts)
    if answer.structured_content is not None:
        return json.dumps(answer.structured_content, ensure_ascii=False)
    kinds = sorted({getattr(block, "type", "?") for block in answer.content})
    return f"(no text; the server returned {', '.join(kinds) or 'nothing'})"


def _clean(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema without the titles pydantic-made servers add (noise in a prompt)."""
    schema.pop("title", None)
    for prop in schema.get("properties", {}).values():
        if isinstance(prop, dict):
            prop.pop("title", None)
    return schema


def _described(listed: Any) -> str:
    text = (listed.description or "").strip().split("\n\n", 1)[0]
    return " ".join(text.split()) or f"The MCP tool {listed.name}."


def _identifier(name: str) -> str:
    """An MCP tool name as an agentcore tool name (letters, digits, underscore)."""
    import re

    cleaned = re.sub(r"\W", "_", name)
    return cleaned if not cleaned[:1].isdigit() else f"t_{cleaned}"


def _acts(listed: Any) -> bool:
    """Whether the server says the tool changes things (MCP's ``readOnlyHint`` false, or a
    ``destructiveHint``): a resumed run then asks before redoing a call it lost."""
    hints = getattr(listed, "annotations", None)
    if hints is None:
        return False
    read_only = getattr(hints, "read_only_hint", None)
    return read_only is False or bool(getattr(hints, "destructive_hint", False))


def _placeholder(**_: Any) -> str:
    """A tool of an MCP server."""
    raise NotImplementedError  # never called: invoke sends the call to the server


def _config_error(message: str) -> Exception:
    from agentcore.plugin import ConfigError

    return ConfigError(message)
