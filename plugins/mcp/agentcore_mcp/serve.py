"""agentcore's tools — and whole agents — as an MCP server (``agentcore mcp serve``).

Any MCP client (an IDE, another framework's agent) can then list and call them. Each
agentcore tool is offered with its own JSON schema and description; a call runs the tool
as an agent would (validated, under its time limit) in a worker thread, and its observation
is the result's text (``isError`` when the tool failed). The calls share the tools' scratch
state, as one run's do (``lookup`` reads the page ``search`` opened): serve one client per
process where that matters (stdio does). An agent offered as a tool
(``--agent react``) is ``ask_react[question]``: one whole run, its answer the result.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agentcore.plugin import Tool, ToolContext, tool


def agent_tool(agent: Any) -> Tool:
    """``agent`` as a tool: one run per call, its answer (or how it ended) the result."""

    @tool(name=f"ask_{agent.kind}", timeout_s=None)
    def ask(question: str) -> str:
        """Ask the agent a question; it reasons with its own tools and answers."""
        result = agent.run(question)
        if result.answer is not None:
            return result.answer
        raise RuntimeError(f"the {agent.kind} agent ended {result.status.value}: {result.error}")

    ask.description = (
        f"Ask agentcore's {agent.kind} agent (tools: {', '.join(agent.tool_names()) or 'none'}) "
        "a question; it reasons step by step with its tools and answers."
    )
    return ask


def build_server(tools: Sequence[Tool], name: str = "agentcore") -> Any:
    """An MCP (low-level) server offering ``tools``."""
    import anyio
    import mcp_types as types
    from mcp.server.lowlevel import Server

    by_name = {t.name: t for t in tools}
    # one scratch state for the server's calls, as one run's tools share one (lookup reads
    # the page search opened); MCP's requests carry no session to keep one per client by
    context = ToolContext()

    async def list_tools(ctx: Any, params: Any) -> Any:
        return types.ListToolsResult(
            tools=[
                types.Tool(name=t.name, description=t.description, input_schema=t.spec.parameters)
                for t in by_name.values()
            ]
        )

    async def call_tool(ctx: Any, params: Any) -> Any:
        found = by_name.get(params.name)
        if found is None:
            text = f"no tool {params.name!r}; this server has {', '.join(by_name)}"
            return types.CallToolResult(content=[types.TextContent(type="text", text=text)],
                                        is_error=True)  # fmt: skip
        arguments = dict(params.arguments or {})
        result = await anyio.to_thread.run_sync(found.invoke, arguments, context)
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=result.observation)],
            is_error=not result.ok,
        )

    return Server(name, on_list_tools=list_tools, on_call_tool=call_tool)


async def serve_stdio(server: Any) -> None:
    from mcp.server.stdio import stdio_server

    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


async def serve_http(server: Any, host: str, port: int) -> None:
    """Streamable HTTP at ``http://HOST:PORT/mcp``."""
    import uvicorn

    app = server.streamable_http_app()
    config = uvicorn.Config(app, host=host, port=port, log_level="warning")
    await uvicorn.Server(config).serve()
