"""``agentcore sandbox run FILE.py``: see what PAL or the ``python`` tool would see.

The program runs through the same executor, with the same limits, as PAL
(default: call ``solution()``) or the ``python`` tool (``--script``). A program
that fails or is blocked exits with status 1.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from agentcore.plugin import DEFAULT_EXECUTOR_TIMEOUT_S as DEFAULT_TIMEOUT_S
from agentcore.plugin import ConfigError, for_terminal, json_for_terminal


@click.group("sandbox")
def sandbox_group() -> None:
    """Run Python programs in the sandbox PAL and the python tool use."""


@sandbox_group.command("run")
@click.argument("file", type=click.Path(dir_okay=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print {value, stdout, error, duration_s}.")
@click.option(
    "--entrypoint",
    default="solution",
    show_default=True,
    help="Function to call for the value (as PAL does).",
)
@click.option(
    "--script",
    is_flag=True,
    help="Run as the python tool does: a script whose last expression, or solution() "
    "if defined, is the value.",
)
@click.option(
    "--timeout",
    "timeout_s",
    type=float,
    default=None,
    help=f"Wall-clock limit (s); default {DEFAULT_TIMEOUT_S:g}, as for PAL and the python tool.",
)
@click.option("--memory-mb", type=int, default=None, help="Address-space limit of the worker.")
@click.pass_context
def run_command(
    ctx: click.Context,
    file: Path,
    as_json: bool,
    entrypoint: str,
    script: bool,
    timeout_s: float | None,
    memory_mb: int | None,
) -> None:
    """Run FILE (or - for standard input) in the sandbox and report the outcome."""
    from agentcore_sandbox.executor import SandboxExecutor
    from agentcore_sandbox.tool import run_like_python_tool

    if script and ctx.get_parameter_source("entrypoint") is not click.core.ParameterSource.DEFAULT:
        raise ConfigError("use either --script or --entrypoint, not both")
    code = _read_program(file)
    options: dict[str, object] = {}
    if timeout_s is not None:
        options["timeout_s"] = timeout_s
    if memory_mb is not None:
        options["memory_mb"] = memory_mb
    with SandboxExecutor(**options) as executor:
        if script:
            result = run_like_python_tool(executor, code)
        else:
            result = executor.run(code, entrypoint=entrypoint)
    if as_json:
        click.echo(json_for_terminal(json.dumps(result.model_dump(), ensure_ascii=False)))
    else:
        _print_text(result)
    if not result.ok:
        sys.exit(1)


@sandbox_group.command("check")
@click.option("--require", is_flag=True, help="Exit with status 1 if any layer is missing.")
def check_command(require: bool) -> None:
    """Show what confines each program here: every kernel layer, applied or why not."""
    from agentcore_sandbox.executor import SandboxExecutor

    with SandboxExecutor() as executor:
        layers = executor.isolation()
    missing = [name for name, state in layers.items() if state.startswith(("unavailable", "off"))]
    for name, state in layers.items():
        click.echo(f"{name:<18} {state}")
    if missing:
        click.secho(
            f"missing: {', '.join(missing)} — the other layers still hold; see the sandbox "
            "README for what each layer stops",
            fg="yellow",
        )
        if require:
            sys.exit(1)


def _read_program(file: Path) -> str:
    if str(file) == "-":
        return click.get_text_stream("stdin").read()
    try:
        return file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"cannot run {file}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"cannot run {file}: it is a directory, give a .py file") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"cannot run {file}: not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise ConfigError(f"cannot run {file}: {exc.strerror}") from None


def _print_text(result) -> None:  # type: ignore[no-untyped-def]
    value = json.dumps(result.value, ensure_ascii=False) if result.ok else "-"
    click.echo(f"value:    {for_terminal(value)}")
    if result.stdout:
        click.echo("stdout:")
        for line in for_terminal(result.stdout).rstrip("\n").split("\n"):
            click.echo(f"  {line}")
    else:
        click.echo("stdout:   (none)")
    if result.error is None:
        click.echo("error:    none")
    else:
        click.secho(
            f"error:    {result.error.kind}: {for_terminal(result.error.message)}", fg="red"
        )
    click.echo(f"duration: {result.duration_s:.3f} s")
