"""``agentcore mcp serve``: agentcore's tools, and agents, to any MCP client."""

from __future__ import annotations

import click


@click.group("mcp")
def mcp_group() -> None:
    """Model Context Protocol: serve agentcore's tools (and agents) to MCP clients."""


@mcp_group.command("serve")
@click.option("--tool", "-t", "tools", multiple=True, metavar="NAME",
              help="A registered tool to offer (repeatable; default: every tool that needs no "
              "person's approval).")  # fmt: skip
@click.option("--agent", "agents", multiple=True, type=click.Choice(["react"]),
              help="Offer this agent as a tool too (ask_react[question]).")  # fmt: skip
@click.option("--backend", "-b", default=None, help="The agent's backend (default: agentcore's).")
@click.option("--model", "-m", default=None, help="The agent's model.")
@click.option("--option", "-o", "backend_options", multiple=True, metavar="KEY=VALUE",
              help="The agent's backend option (repeatable).")  # fmt: skip
@click.option(
    "--http",
    "port",
    type=int,
    default=None,
    metavar="PORT",
    help="Serve streamable HTTP on 127.0.0.1:PORT (path /mcp) instead of stdio.",
)
def serve_command(
    tools: tuple[str, ...],
    agents: tuple[str, ...],
    backend: str | None,
    model: str | None,
    backend_options: tuple[str, ...],
    port: int | None,
) -> None:
    """Serve agentcore tools over MCP: stdio by default (an MCP client starts this command),
    or streamable HTTP with --http PORT."""
    import anyio

    from agentcore.plugin import AgentSpec, ConfigError, get_plugin_manager, parse_key_values
    from agentcore_mcp.serve import agent_tool, build_server, serve_http, serve_stdio

    pm = get_plugin_manager()
    names = list(tools) or [
        name for name in pm.registry.names("tool") if not pm.tool(name).requires_approval
    ]
    offered = [pm.tool(name) for name in names]
    for kind in agents:
        spec = AgentSpec(
            kind=kind, model=model, backend_options=parse_key_values(backend_options, "--option"),
            **({"backend": backend} if backend else {}),
        )  # fmt: skip
        offered.append(agent_tool(spec.build()))
    if not offered:
        raise ConfigError("no tools to serve: install a tool plugin or name tools with --tool")
    click.echo(f"agentcore mcp: serving {', '.join(t.name for t in offered)}", err=True)
    server = build_server(offered)
    if port is None:
        anyio.run(serve_stdio, server)
    else:
        anyio.run(serve_http, server, "127.0.0.1", port)
