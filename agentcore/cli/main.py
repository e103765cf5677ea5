"""Entry point of the ``agentcore`` command.

Plugins add subcommands through the ``register_commands`` hook. Errors the
user can act on (:class:`~agentcore.errors.AgentcoreError`, bad options) are
printed as one line and exit with status 2 or 1; no traceback.
"""

from __future__ import annotations

import sys

import click

from agentcore import __version__
from agentcore.errors import AgentcoreError


class _Group(click.Group):
    def invoke(self, ctx: click.Context):  # one clear line instead of a traceback
        try:
            return super().invoke(ctx)
        except AgentcoreError as exc:
            from agentcore.untrusted import for_terminal  # messages quote model/tool text

            click.secho(f"Error: {for_terminal(str(exc))}", fg="red", err=True)
            sys.exit(1)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="agentcore")
def cli() -> None:
    """agentcore: run ReAct, PAL and RAG agents on local or remote LLMs, with plugins."""


def _load_commands() -> None:
    from agentcore.cli import commands  # noqa: F401  (registers the built-in commands)
    from agentcore.plugins import get_plugin_manager

    pm = get_plugin_manager()
    pm.hook.register_commands(cli=cli)


def main() -> None:
    _load_commands()
    cli()
