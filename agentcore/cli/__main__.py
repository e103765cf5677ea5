"""``python -m agentcore.cli`` — the same as the ``agentcore`` command."""

from agentcore.cli.main import main

main()
