"""``agentcore serve`` and ``agentcore keys``."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

import click

from agentcore.plugin import ConfigError, redact


def _keys_option(function):
    return click.option(
        "--keys-file",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="The API key file (default: the server config's keys_file, else in the cache).",
    )(function)


@click.command("serve")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="TOML file with [server] and [agents.NAME] tables.",
)
@click.option("--host", default=None, help="Address to listen on [default: 127.0.0.1].")
@click.option("--port", type=int, default=None, help="Port [default: 8000; 0 picks a free one].")
@click.option("--workers", type=int, default=None, help="Worker threads running agents.")
@click.option(
    "--store",
    default=None,
    help="Runs, feedback and conversations: FILE.duckdb, postgresql://... or memory "
    "[default: runs.duckdb in the cache].",
)
@click.option("--replica", default=None, help="This server's name in a shared store.")
@_keys_option
def serve_command(
    config_path: Path | None,
    host: str | None,
    port: int | None,
    workers: int | None,
    store: str | None,
    replica: str | None,
    keys_file: Path | None,
) -> None:
    """Serve the configured agents over a REST API (/v1, OpenAPI at /docs)."""
    import uvicorn

    from agentcore_server.app import create_app
    from agentcore_server.config import load_config
    from agentcore_server.keys import KeyStore

    config = load_config(
        config_path,
        host=host,
        port=port,
        workers=workers,
        store=store,
        replica=replica,
        keys_file=str(keys_file) if keys_file else None,
    )
    if not config.agents:
        raise ConfigError(
            "no agents to serve: give --config FILE with an [agents.NAME] table, e.g. "
            '[agents.wiki] kind = "react"'
        )
    settings = config.server
    keys = KeyStore(settings.keys_path())
    if not settings.loopback and not keys.any_active():
        raise ConfigError(
            f"refusing to listen on {settings.host} without API keys: create one with "
            f"`agentcore keys create NAME` (keys file {keys.path}), or serve on 127.0.0.1"
        )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = create_app(config, keys=keys)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=settings.host,
            port=settings.port,
            log_level="warning",
            access_log=False,  # our own log line names the key id and the request id
            timeout_graceful_shutdown=int(settings.shutdown_grace_s) + 5,
        )
    )
    click.echo(
        f"agentcore serve: {', '.join(config.agents)} on http://{settings.host}:{settings.port} "
        f"({settings.workers} worker{'s' if settings.workers != 1 else ''}; "
        f"runs in {redact(settings.store_location())} as replica {settings.replica_name()}; "
        + (
            "API keys required"
            if keys.any_active() or not settings.loopback
            else "no API keys yet: loopback only"
        )
        + ")",
        err=True,
    )
    server.run()


@click.group("keys")
def keys_group() -> None:
    """Create, list and revoke the server's API keys (stored hashed)."""


def _store(keys_file: Path | None):
    from agentcore_server.config import default_keys_path
    from agentcore_server.keys import KeyStore

    return KeyStore(keys_file or default_keys_path())


@keys_group.command("create")
@click.argument("name")
@click.option(
    "--scope",
    type=click.Choice(["run", "read"]),
    default="run",
    show_default=True,
    help="run: start runs, read/cancel/rate its own; read: read every run.",
)
@_keys_option
def keys_create(name: str, scope: str, keys_file: Path | None) -> None:
    """Make a key called NAME; its token is printed once, here."""
    key, token = _store(keys_file).create(name, scope)  # type: ignore[arg-type]
    click.echo(token)
    click.echo(f"key {key.key_id} ({key.scope}) created; the token above is not stored", err=True)


@keys_group.command("list")
@_keys_option
def keys_list(keys_file: Path | None) -> None:
    """Every key: id, name, scope, when made, whether revoked (never the token)."""
    for key in _store(keys_file).list():
        made = datetime.fromtimestamp(key.created_at).strftime("%Y-%m-%d %H:%M")
        state = "active" if key.active else "revoked"
        click.echo(f"{key.key_id}  {key.scope:4}  {state:7}  {made}  {key.name}")


@keys_group.command("revoke")
@click.argument("key_id")
@_keys_option
def keys_revoke(key_id: str, keys_file: Path | None) -> None:
    """Revoke the key KEY_ID; requests with it fail from now on."""
    key = _store(keys_file).revoke(key_id)
    click.echo(f"key {key.key_id} ({key.name}) revoked")
