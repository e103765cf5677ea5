"""The ``agentcore`` command line."""
