"""Click groups whose subcommands are imported when used (click's "LazyGroup" pattern).

:class:`LazyGroup` maps names to ``"module:attribute"`` references. :class:`PluginCommandGroup`
(the ``agentcore`` command itself) takes them from the ``agentcore.commands`` entry points,
so ``agentcore --help`` lists every declared command without importing a plugin: a command's
row shows the distribution that provides it, since its summary is in its code, and
``agentcore COMMAND --help`` imports only that command. Plugins that add commands through the
``register_commands`` hook instead are imported when a name is not declared (so their commands
still run) and by ``agentcore --help-all``, which lists every command with its summary.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from agentcore.cli.entry_points import CommandEntry, command_entries
from agentcore.plugin_selection import ALLOW_ENV, DENY_ENV, env_names, is_wanted

CORE_DISTRIBUTION = "agentcore"


class CommandLoadError(click.ClickException):
    """A declared command could not be imported (one line, exit status 1)."""


def import_command(reference: str, name: str, origin: str) -> click.Command:
    """The click command at ``module:attribute``; :class:`CommandLoadError` saying why not."""
    module_name, _, attribute = reference.partition(":")
    try:
        command = getattr(importlib.import_module(module_name), attribute)
    except Exception as exc:  # one broken plugin must not look like an agentcore bug
        raise CommandLoadError(
            f"command {name!r} from {origin} could not be loaded ({reference}): "
            f"{type(exc).__name__}: {exc}"
        ) from None
    if not isinstance(command, click.Command):
        raise CommandLoadError(
            f"command {name!r} from {origin}: {reference} is a {type(command).__name__}, "
            "not a click command"
        )
    return command


class LazyGroup(click.Group):
    """A group whose subcommands named in ``lazy`` are imported on first use."""

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            self.add_command(import_command(self.lazy[cmd_name], cmd_name, "agentcore"), cmd_name)
        return self.commands.get(cmd_name)


class PluginCommandGroup(click.Group):
    """The top-level group: declared commands from entry points, then the ``register_commands``
    hook for plugins that use it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._hooked: object = None  # the plugin manager whose register_commands ran here

    def declared(self) -> dict[str, CommandEntry]:
        """Declared commands whose plugins the environment allows (the first of a name wins).

        A distribution's commands are hidden when it provides plugins and the
        ``AGENTCORE_PLUGINS`` / ``AGENTCORE_DISABLE_PLUGINS`` lists exclude all of them;
        agentcore's own commands are the command line itself and always stay.
        """
        allow, deny = env_names(ALLOW_ENV), env_names(DENY_ENV) or set()
        found: dict[str, CommandEntry] = {}
        for entry in command_entries():
            if entry.name in found:
                continue
            excluded = entry.plugins and not any(is_wanted(p, allow, deny) for p in entry.plugins)
            if entry.distribution == CORE_DISTRIBUTION or not excluded:
                found[entry.name] = entry
        return found

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.declared()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        entry = self.declared().get(cmd_name)
        if entry is not None:
            self.add_command(import_command(entry.value, cmd_name, entry.distribution), cmd_name)
        else:
            self.load_hook_commands()
        return self.commands.get(cmd_name)

    def load_hook_commands(self) -> None:
        """Run the ``register_commands`` hook (this imports every plugin), once per manager."""
        from agentcore.plugins import get_plugin_manager

        pm = get_plugin_manager()
        if self._hooked is not pm:
            self._hooked = pm
            pm.hook.register_commands(cli=self)

    def load_all(self) -> None:
        """Import every declared command and run the hook: what ``--help-all`` lists."""
        for name in self.declared():
            self.get_command(click.Context(self), name)
        self.load_hook_commands()

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Commands not imported yet show the distribution that provides them."""
        declared = self.declared()
        rows = []
        for name in self.list_commands(ctx):
            command = self.commands.get(name)
            if command is not None and command.hidden:
                continue
            rows.append((name, command, declared.get(name)))
        if not rows:
            return
        limit = formatter.width - 6 - max(len(name) for name, _, _ in rows)
        with formatter.section("Commands"):
            formatter.write_dl(
                [
                    (
                        name,
                        command.get_short_help_str(limit) if command else f"({entry.distribution})",
                    )
                    for name, command, entry in rows
                    if command or entry
                ]
            )
        if any(command is None for _, command, _ in rows):
            formatter.write_paragraph()
            formatter.write_text(
                "`agentcore COMMAND --help` shows a command's help; `agentcore --help-all` "
                "lists every command with its summary, including those plugins add through "
                "the register_commands hook (it imports every plugin)."
            )


def show_full_help(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """``--help-all``: import every command, then print the help with all summaries."""
    if not value or ctx.resilient_parsing:
        return
    group = ctx.command
    if isinstance(group, PluginCommandGroup):
        group.load_all()
    click.echo(ctx.get_help(), color=ctx.color)
    ctx.exit()
