"""Entry point of the ``agentcore`` command.

Every subcommand, agentcore's own included, is declared in the ``agentcore.commands``
entry-point group and imported when used (see :mod:`agentcore.cli.lazy`); plugins may also
add subcommands through the ``register_commands`` hook. Errors the user can act on
(:class:`~agentcore.errors.AgentcoreError`, bad options) are printed as one line and exit with
status 2 or 1; no traceback.
"""

from __future__ import annotations

import sys

import click

from agentcore import __version__
from agentcore.cli.lazy import PluginCommandGroup, show_full_help
from agentcore.errors import AgentcoreError


class _Group(PluginCommandGroup):
    def invoke(self, ctx: click.Context):  # one clear line instead of a traceback
        try:
            return super().invoke(ctx)
        except AgentcoreError as exc:
            from agentcore.untrusted import for_terminal  # messages quote model/tool text

            click.secho(f"Error: {for_terminal(str(exc))}", fg="red", err=True)
            sys.exit(1)


def _verbosity(ctx: click.Context, param: click.Parameter, count: int) -> None:
    """``-v``: what the engine does (plugins, config, models, runs) on stderr; ``-vv``: more."""
    if count:
        import logging

        logging.basicConfig(
            level=logging.DEBUG if count > 1 else logging.INFO,
            format="%(levelname)s %(name)s: %(message)s",
            stream=sys.stderr,
        )


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="agentcore")
@click.option(
    "--verbose",
    "-v",
    count=True,
    expose_value=False,
    is_eager=True,
    callback=_verbosity,
    help="Log what agentcore does to standard error (-vv: in detail).",
)
@click.option(
    "--help-all",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=show_full_help,
    help="Show this message with every command's summary (imports every plugin).",
)
def cli() -> None:
    """agentcore: run ReAct, PAL and RAG agents on local or remote LLMs, with plugins."""


def _load_commands() -> None:
    """Import every command now (tests, and callers that walk ``cli.commands``)."""
    cli.load_all()


def main() -> None:
    cli()
