"""Example agentcore plugin: unit conversion."""
