"""agentcore backend for OpenAI-compatible HTTP servers (standard library only)."""
