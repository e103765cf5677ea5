"""A small MCP server of a parcel carrier, written with the official MCP SDK.

agentcore starts it (``--mcp "python examples/mcp_tools/server.py"``) and talks to it over
stdio; any MCP client could use it the same way. Its data is made up.
"""

from __future__ import annotations

import re

from mcp.server.mcpserver import MCPServer

PARCELS = {
    "1001": ("RT4471", "in transit, at the Leeds depot since 08:12"),
    "1002": ("RT4480", "delivered on Monday, signed for by J. Okafor"),
}
server = MCPServer("parcels")


@server.tool()
def parcel_status(order_id: str) -> str:
    """Where the parcel of an order is now, and its tracking number."""
    digits = re.search(r"\d+", order_id)  # "1001", "#1001", "order 1001" all name it
    found = PARCELS.get(digits.group()) if digits else None
    if found is None:
        return f"No parcel for order {order_id}. Known orders: {', '.join(PARCELS)}."
    tracking, status = found
    return f"Order {digits.group()}: parcel {tracking}, {status}."


if __name__ == "__main__":
    server.run()
