"""Asking the person at the terminal about a paused run's pending tool call.

``agentcore run`` and ``agentcore chat`` call it when a run pauses for approval and the
terminal is interactive; otherwise they print how to answer from another terminal
(``agentcore runs approve|reject RUN_ID``).
"""

from __future__ import annotations

import json
from typing import Any

import click


def ask_decision(result: Any) -> Any:
    """Ask the person at the terminal about a paused run's pending call; ``None``: later."""
    import getpass

    from agentcore.approvals import decide
    from agentcore.cli.render import pending_line
    from agentcore.untrusted import for_terminal

    pending = result.pending
    click.echo(for_terminal(pending_line(result)), err=True)
    choice = click.prompt(
        "approve, reject, edit the arguments, or decide later",
        type=click.Choice(["a", "r", "e", "l"]),
        default="l",
        err=True,
    )
    by = getpass.getuser()
    if choice == "a":
        return decide(pending, "approve", by=by)
    if choice == "r":
        reason = click.prompt("why (the model is told)", default="", err=True)
        return decide(pending, "reject", reason=reason, by=by)
    if choice == "e":
        while True:
            text = click.prompt("arguments (JSON)", default=json.dumps(pending.arguments), err=True)
            try:
                arguments = json.loads(text)
            except json.JSONDecodeError as exc:
                click.echo(f"not JSON: {exc.msg}; try again", err=True)
                continue
            if isinstance(arguments, dict):
                return decide(pending, "approve", arguments=arguments, by=by)
            click.echo("give a JSON object of arguments; try again", err=True)
    return None
