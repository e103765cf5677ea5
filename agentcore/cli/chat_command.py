"""``agentcore chat [EXAMPLE]``: an interactive conversation in the terminal.

EXAMPLE is ``assistant`` (a plain chat agent with the tools given by ``-t``), a
path to a Python file, or ``module:function``. A file or module must define
``build_agent(backend, model, settings) -> ChatAgent`` (the examples in
``examples/`` do); it may also define ``prepare(settings)`` to start what the
agent needs (a database, local services) and return a cleanup callable.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import inspect
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from agentcore.cli.commands import _parse_options, _parse_settings
from agentcore.defaults import DEFAULT_BACKEND
from agentcore.errors import ConfigError


def load_example(spec: str) -> Any:
    """The module behind an example spec (a .py path or ``module[:attr]``)."""
    if spec.endswith(".py"):
        path = Path(spec).expanduser()
        if not path.is_file():
            raise ConfigError(f"example file {spec!r} does not exist")
        module_spec = importlib.util.spec_from_file_location(f"agentcore_example_{path.stem}", path)
        if module_spec is None or module_spec.loader is None:
            raise ConfigError(f"cannot load example file {spec!r}")
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[module_spec.name] = module
        module_spec.loader.exec_module(module)
        return module
    try:
        return importlib.import_module(spec.split(":")[0])
    except ImportError as exc:
        raise ConfigError(
            f"cannot import example {spec!r} ({exc}); give 'assistant', a path to a .py file, "
            "or an importable module"
        ) from None


@click.command("chat")
@click.argument("example", default="assistant")
@click.option(
    "--session",
    "-s",
    "session_id",
    default="default",
    show_default=True,
    help="Conversation id; the same id continues an earlier conversation.",
)
@click.option(
    "--backend",
    "-b",
    default=None,
    help=f"LLM backend  [default: the config file's, else {DEFAULT_BACKEND}]",
)
@click.option("--model", "-m", default=None)
@click.option("--option", "-o", "backend_options", multiple=True, metavar="KEY=VALUE")
@click.option("--tool", "-t", "tools", multiple=True, help="Tools for the 'assistant' example.")
@click.option(
    "--memory",
    type=click.Choice(["full", "window"]),
    default="full",
    show_default=True,
    help="What the agent remembers: everything, or the newest turns that fit.",
)
@click.option(
    "--store",
    "store_dir",
    default=None,
    help="Directory keeping conversations between runs (default: in memory only).",
)
@click.option("--set", "settings", multiple=True, metavar="SECTION.KEY=VALUE")
@click.option(
    "--message",
    "messages",
    multiple=True,
    help="Send these messages instead of reading from the terminal (repeatable).",
)
def chat_command(
    example: str,
    session_id: str,
    backend: str,
    model: str | None,
    backend_options: tuple[str, ...],
    tools: tuple[str, ...],
    memory: str,
    store_dir: str | None,
    settings: tuple[str, ...],
    messages: tuple[str, ...],
) -> None:
    """Talk with an agent: type a message, read the reply; Ctrl-D or 'exit' ends."""
    from agentcore.chat import ChatAgent
    from agentcore.config import load_config
    from agentcore.memory import memory_from_name

    config = load_config()
    backend = backend or config.get("backend", DEFAULT_BACKEND)
    model = model or config.get("model")
    configured_options = config.section("options", backend)
    parsed_settings = _parse_settings(settings, keep_unknown_sections=True, base=config.settings())
    cleanup = None
    if example == "assistant":
        agent = ChatAgent(
            backend,
            tools=list(tools),
            model=model,
            backend_options={**configured_options, **_parse_options(backend_options, "--option")},
            settings=parsed_settings,
        )
    else:
        module = load_example(example)
        if hasattr(module, "prepare"):
            cleanup = module.prepare(parsed_settings)
        extra: dict[str, Any] = {}
        if backend_options or configured_options:
            params = inspect.signature(module.build_agent).parameters
            takes_any = any(p.kind is p.VAR_KEYWORD for p in params.values())
            if "backend_options" not in params and not takes_any:
                raise ConfigError(f"{example}: build_agent() does not take backend options (-o)")
            extra["backend_options"] = {
                **configured_options,
                **_parse_options(backend_options, "--option"),
            }
        agent = module.build_agent(backend=backend, model=model, settings=parsed_settings, **extra)
    agent.memory = memory_from_name(memory)
    if store_dir:
        agent.store = conversation_store(store_dir)
    try:
        _converse(agent, session_id, list(messages))
    finally:
        if callable(cleanup):
            cleanup()


def conversation_store(path: str) -> Any:
    """The store behind ``--store PATH``, found by the path's suffix.

    ``chats.duckdb`` uses the conversation store a plugin registered as ``duckdb`` (the
    ``register_stores`` hook); a path without a suffix, or an existing directory, keeps JSON
    files there (the core's store).
    """
    from agentcore.memory import JsonDirectoryStore
    from agentcore.plugins import get_plugin_manager

    suffix = Path(path).suffix.lstrip(".")
    if not suffix or Path(path).expanduser().is_dir():
        return JsonDirectoryStore(path)
    registry = get_plugin_manager().registry
    if suffix not in registry.names("store"):
        known = ", ".join(f".{name}" for name in registry.names("store")) or "none installed"
        raise ConfigError(
            f"--store {path}: no plugin provides a conversation store for .{suffix} files "
            f"(stores: {known}); install one (agentcore-store provides .duckdb) or give a "
            "directory for JSON files"
        )
    return registry.get("store", suffix).create(path=path)


def _show(text: str, **style: Any) -> None:
    """Print conversation text: escape sequences in it are shown, never executed."""
    from agentcore.untrusted import for_terminal

    click.secho(for_terminal(text), **style)


def _user_messages(scripted: list[str]) -> Iterator[str]:
    """The given messages, or what the user types until Ctrl-D / 'exit'."""
    if scripted:
        for message in scripted:
            _show(f"you> {message}", bold=True)
            yield message
        return
    click.secho("Type a message (Ctrl-D or 'exit' to end; ↑/↓ recall earlier ones).", dim=True)
    with _line_editing():
        while True:
            try:
                message = click.prompt("you", prompt_suffix="> ")
            except (EOFError, click.Abort):
                click.echo()
                return
            if message.strip().lower() in ("exit", "quit"):
                return
            yield message


HISTORY_LINES = 1000


@contextlib.contextmanager
def _line_editing() -> Iterator[None]:
    """Line editing and a history kept between sessions (readline), on a terminal only.

    ``click.prompt`` reads with ``input()``, which uses readline once it is imported; the
    history file is ``chat_history`` in agentcore's cache directory.
    """
    if not sys.stdin.isatty():
        yield
        return
    try:
        import readline
    except ImportError:  # a Python built without it: plain input still works
        yield
        return
    from agentcore.paths import cache_root

    history = Path(cache_root()) / "chat_history"
    with contextlib.suppress(OSError):
        readline.read_history_file(history)
    readline.set_history_length(HISTORY_LINES)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            history.parent.mkdir(parents=True, exist_ok=True)
            readline.write_history_file(history)


def _converse(agent: Any, session_id: str, scripted: list[str]) -> None:
    from agentcore.cli.approval import ask_decision
    from agentcore.cli.render import pending_line
    from agentcore.cli.status import StatusLine

    status = StatusLine()
    for message in _user_messages(scripted):
        status.show("thinking")
        result = _shown_turn(agent.chat_stream(session_id, message), status)
        while result.status == "paused":
            if not sys.stdin.isatty():
                how = "No one can approve it without a terminal; the turn stays paused."
                _show(pending_line(result, how), fg="yellow")
                break
            decision = ask_decision(result)
            if decision is None:
                break
            status.show("thinking")
            result = _shown_turn(agent.resume_stream(result.run_id, decision=decision), status)
        for event in result.guardrails:
            who = event.by or "a guardrail"
            _show(f"  · guardrail ({event.check}): {who} {event.action}: {event.reason}", dim=True)
        if result.error:
            label = "Refused" if result.status == "refused" else "Error"
            _show(f"{label}: {result.error}", fg="red")
        if result.status != "paused":
            _show(f"agent> {result.answer or '(no reply)'}", fg="green")


def _shown_turn(stream: Any, status: Any) -> Any:
    """Run one turn (or its resumed rest), showing each tool call as it completes."""
    try:
        for step in stream:
            status.clear()
            if step.action is not None and step.action.tool not in ("respond", "finish"):
                _show(f"  · {step.action.raw}", dim=True)
                _show(f"    → {(step.observation or '')[:200]}", dim=True)
            elif step.parse_error:
                _show(f"  · (malformed action: {step.parse_error[:120]})", dim=True)
            status.show(f"thinking (step {step.index + 1})")
    finally:
        status.clear()
    return stream.result
