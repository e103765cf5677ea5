"""Built-in subcommands: plugins, tools."""

from __future__ import annotations

import json

import click

from agentcore.cli.main import cli


@cli.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def plugins_command(as_json: bool) -> None:
    """List loaded plugins, what each provides, and plugins that failed to load."""
    from agentcore.plugins import get_plugin_manager

    pm = get_plugin_manager()
    infos = pm.plugins()
    if as_json:
        payload = {
            "plugins": [
                {
                    "name": i.name,
                    "distribution": i.distribution,
                    "version": i.version,
                    "entry_point": i.entry_point,
                    "hooks": list(i.hooks),
                    "provides": i.provides,
                }
                for i in infos
            ],
            "failures": [f.__dict__ for f in pm.failures],
        }
        click.echo(json.dumps(payload, indent=2))
        return
    for info in infos:
        version = f" {info.version}" if info.version else ""
        dist = f" ({info.distribution}{version})" if info.distribution else ""
        click.secho(f"{info.name}{dist}", bold=True)
        provided = "; ".join(f"{k}s: {', '.join(sorted(v))}" for k, v in info.provides.items())
        click.echo(f"  provides: {provided or '-'}")
        click.echo(f"  hooks: {', '.join(info.hooks)}")
    for failure in pm.failures:
        click.secho(
            f"FAILED {failure.name} [{failure.entry_point}]: {failure.error}", fg="red", err=True
        )


@cli.command("tools")
@click.option("--json", "as_json", is_flag=True, help="Print the tool specs as JSON.")
def tools_command(as_json: bool) -> None:
    """List tools with their argument schemas."""
    from agentcore.plugins import get_plugin_manager

    pm = get_plugin_manager()
    registry = pm.registry
    specs = []
    for name in registry.names("tool"):
        provider = registry.get("tool", name)
        specs.append((provider.plugin, provider.create().spec))
    if as_json:
        payload = [dict(spec.model_dump(), plugin=plugin) for plugin, spec in specs]
        click.echo(json.dumps(payload, indent=2))
        return
    for plugin, spec in specs:
        click.secho(f"{spec.usage()}", bold=True, nl=False)
        click.echo(f"  (plugin {plugin})")
        click.echo(f"  {spec.description}")
        for arg, schema in spec.parameters.get("properties", {}).items():
            required = arg in spec.parameters.get("required", [])
            kind = schema.get("type", "any")
            doc = schema.get("description", "")
            click.echo(f"    {arg}: {kind}{'' if required else ' (optional)'}  {doc}".rstrip())
