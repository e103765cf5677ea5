"""Defaults the agents, the CLI and the examples share, in a module that imports nothing.

The CLI reads them while it declares its options, so this module stays free of imports: a
default changed here changes ``ReActAgent()``, ``agentcore run`` and the examples at once.
"""

DEFAULT_BACKEND = "llama-cpp"
"""The backend used when none is named: llama.cpp in-process on the embedded default model."""
