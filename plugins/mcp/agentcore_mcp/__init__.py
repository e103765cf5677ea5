"""Tools from Model Context Protocol servers: :func:`mcp_tools`."""

from agentcore_mcp.tools import MCPTool, mcp_tools

__all__ = ["MCPTool", "mcp_tools"]
