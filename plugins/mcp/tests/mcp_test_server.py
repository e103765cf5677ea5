"""An MCP server for the tests, written with the official SDK (``MCPServer``).

    python mcp_test_server.py             # stdio
    python mcp_test_server.py http PORT   # streamable HTTP on 127.0.0.1:PORT, path /mcp

Its tools: ``lookup`` (one string), ``book`` (a schema with an integer, a list and an
optional flag: what the ReAct grammar must handle), ``slow`` (sleeps), ``fail`` (raises) and
``crash`` (the process dies mid-call).
"""

from __future__ import annotations

import os
import sys
import time

from mcp.server.mcpserver import MCPServer
from mcp_types import ToolAnnotations

ORDERS = {"7": "order 7: boots, shipped", "8": "order 8: a scarf, delivered"}
server = MCPServer("orders")


@server.tool()
def lookup(order: str) -> str:
    """Look an order up by its number."""
    return ORDERS.get(order.strip(), f"no order {order}")


@server.tool(annotations=ToolAnnotations(read_only_hint=False))  # it changes something
def book(order_id: int, items: list[str], express: bool = False) -> str:
    """Book a pickup of items of an order."""
    return (
        f"pickup booked for order {order_id}: {', '.join(items)}{' (express)' if express else ''}"
    )


@server.tool()
def slow(seconds: float) -> str:
    """Wait, then answer."""
    time.sleep(seconds)
    return "finally"


@server.tool()
def fail(reason: str) -> str:
    """Always fails."""
    raise ValueError(f"cannot do that: {reason}")


@server.tool()
def crash(note: str) -> str:
    """The server process dies."""
    os._exit(3)


if __name__ == "__main__":
    if sys.argv[1:2] == ["http"]:
        server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
    else:
        server.run()
