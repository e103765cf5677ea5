"""Registers the ``mcp`` toolset: ``--mcp "python server.py"`` or ``--mcp http://host/mcp``
gives an agent that server's tools (see :func:`agentcore_mcp.mcp_tools`)."""

from __future__ import annotations

from typing import Any

from agentcore.plugin import hookimpl


def _toolset(source: str, **options: Any) -> list[Any]:
    from agentcore_mcp.tools import mcp_tools

    return mcp_tools(source, **options)


@hookimpl
def register_toolsets(register):
    register("mcp", _toolset, description="the tools of an MCP server (a command or a URL)")
