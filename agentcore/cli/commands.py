"""agentcore's own subcommands: plugins, tools, run, models, prompts.

Declared in the ``agentcore.commands`` entry-point group of agentcore's pyproject.toml, like
every plugin's commands, and imported only when one of them is used.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import click

from agentcore.cli.approval import ask_decision
from agentcore.cli.lazy import LazyGroup
from agentcore.defaults import DEFAULT_BACKEND
from agentcore.errors import AgentcoreError, ConfigError

#: ``--grammar`` choices → ``ReActAgent(constrain=...)``.
GRAMMAR_MODES: dict[str, bool | None] = {"repair": None, "always": True, "never": False}


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.option(
    "--options",
    "with_options",
    is_flag=True,
    help="List each provider's options (-o, -R) and each settings section (--set): "
    "name, type, default.",
)
def plugins_command(as_json: bool, with_options: bool) -> None:
    """List loaded plugins, what each provides, and plugins that failed to load."""
    from agentcore.plugins import get_plugin_manager

    pm = get_plugin_manager()
    if with_options:
        _print_options(pm, as_json)
        return
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


def _print_options(pm, as_json: bool) -> None:
    """Every provider's declared options and every settings section, from their models."""
    from agentcore.options import describe_options

    entries = []
    for kind, providers in pm.registry.providers.items():
        for name in sorted(providers):
            provider = providers[name]
            if provider.options is None:
                continue
            rows = describe_options(provider.options)
            entries.append((kind, name, provider.plugin, rows))
    if as_json:
        payload = [
            {
                "kind": kind,
                "name": name,
                "plugin": plugin,
                "options": [row.__dict__ for row in rows],
            }
            for kind, name, plugin, rows in entries
        ]
        click.echo(json.dumps(payload, indent=2))
        return
    flag = {"backend": "-o", "retriever": "-R", "executor": "executor option", "setting": "--set"}
    for kind, name, plugin, rows in entries:
        how = flag.get(kind, "option")
        title = f"settings section {name}" if kind == "setting" else f"{kind} {name}"
        click.secho(f"{title} ({plugin}; {how})", bold=True)
        width = max((len(row.name) for row in rows), default=0)
        for row in rows:
            key = f"{name}.{row.name}" if kind == "setting" else row.name
            default = f" = {row.default}" if row.default else ""
            text = f"  {key:<{width + (len(name) + 1 if kind == 'setting' else 0)}}  "
            click.echo(
                f"{text}{row.type}{default}" + (f"  {row.description}" if row.description else "")
            )


@click.command("tools")
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


# --- running agents -----------------------------------------------------------------------


def _parse_options(pairs: tuple[str, ...], what: str) -> dict[str, str]:
    from agentcore.errors import ConfigError
    from agentcore.options import parse_key_values

    try:
        return parse_key_values(pairs, what)
    except ConfigError as exc:  # a usage error on the command line: exit 2, with the usage
        raise click.BadParameter(str(exc).removeprefix(f"{what}: "), param_hint=what) from None


def _provider_options(
    kind: str, name: str, pairs: tuple[str, ...], what: str, base: dict | None = None
) -> dict:
    """``-o``/``-R`` pairs (over ``base``, from a config file) checked by the provider's
    options model now, before anything loads."""
    from agentcore.plugins import get_plugin_manager

    options = {**(base or {}), **_parse_options(pairs, what)}
    return get_plugin_manager().registry.get(kind, name).check(**options)


def _parse_settings(
    pairs: tuple[str, ...], *, keep_unknown_sections: bool = False, base: dict | None = None
) -> dict:
    """``--set`` pairs (over ``base``, from a config file), each section checked by the
    model its plugin declares.

    A section no plugin declares is refused, unless ``keep_unknown_sections`` (``agentcore
    chat``: an example may read a section of its own).
    """
    from agentcore.plugins import get_plugin_manager

    settings: dict[str, dict[str, Any]] = {k: dict(v) for k, v in (base or {}).items()}
    for key, value in _parse_options(pairs, "--set").items():
        section, dot, name = key.partition(".")
        if not dot:
            raise click.BadParameter(f"{key!r} is not SECTION.KEY", param_hint="--set")
        settings.setdefault(section, {})[name] = value
    if not settings:
        return settings
    return get_plugin_manager().validate_settings(
        settings, keep_unknown_sections=keep_unknown_sections
    )


def _generation_options(function):
    options = [
        click.option(
            "--backend",
            "-b",
            default=None,
            help=f"LLM backend (see `agentcore plugins`)  [default: the config file's, "
            f"else {DEFAULT_BACKEND}]",
        ),
        click.option(
            "--model",
            "-m",
            default=None,
            help="Model name from `agentcore models`, or a path to a GGUF file.",
        ),
        click.option(
            "--option",
            "-o",
            "backend_options",
            multiple=True,
            metavar="KEY=VALUE",
            help="Backend option, e.g. -o n_ctx=8192 (repeatable).",
        ),
        click.option(
            "--max-new-tokens", type=int, default=None, help="Most tokens generated per model call."
        ),
        click.option("--temperature", type=float, default=None, help="0 = greedy."),
        click.option("--top-k", type=int, default=None, help="Keep the k most likely tokens."),
        click.option("--top-p", type=float, default=None, help="Nucleus mass to keep."),
        click.option("--greedy/--sample", default=None, help="Force greedy or sampling."),
        click.option("--seed", type=int, default=None, help="Sampling seed."),
        click.option(
            "--shots", type=int, default=None, help="Exemplars to include (default: all that fit)."
        ),
        click.option(
            "--prompt",
            "prompt_name",
            default=None,
            help="Prompt name (see `agentcore prompts`) or path to a .toml file.",
        ),
        click.option(
            "--set",
            "settings",
            multiple=True,
            metavar="SECTION.KEY=VALUE",
            help="Tool setting, e.g. --set sql.database=shop.duckdb (repeatable).",
        ),
        click.option(
            "--json",
            "as_json",
            is_flag=True,
            help="Print the run result as JSON instead of the live trace.",
        ),
        click.option("--quiet", "-q", is_flag=True, help="Print only the answer."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _generation_config(kwargs: dict, default):
    from pydantic import ValidationError

    from agentcore.models import GenerationConfig
    from agentcore.options import format_validation_error

    updates = {
        "max_new_tokens": kwargs.pop("max_new_tokens"),
        "temperature": kwargs.pop("temperature"),
        "top_k": kwargs.pop("top_k"),
        "top_p": kwargs.pop("top_p"),
        "greedy": kwargs.pop("greedy"),
        "seed": kwargs.pop("seed"),
    }
    values = {**default.model_dump(), **{k: v for k, v in updates.items() if v is not None}}
    try:
        return GenerationConfig(**values)
    except ValidationError as exc:
        message = format_validation_error(
            exc,
            where="invalid generation settings",
            model=GenerationConfig,
            label=lambda key: f"--{key.replace('_', '-')}",
        )
        raise click.UsageError(message) from None


def _with_config(kwargs: dict) -> None:
    """Fill what the command line left unset from the config files (:mod:`agentcore.config`)."""
    from agentcore.config import load_config

    config = load_config()
    kwargs["backend"] = kwargs["backend"] or config.get("backend", DEFAULT_BACKEND)
    kwargs["model"] = kwargs["model"] or config.get("model")
    kwargs["config"] = config


def _agent_options(kwargs: dict, default) -> dict:
    """The constructor options every agent takes (the backend too), from the shared CLI options
    over the config files' (:func:`_with_config`)."""
    from agentcore.config import Config

    backend = kwargs.pop("backend")
    config = kwargs.pop("config", None) or Config()
    try:
        backend_options = _provider_options(
            "backend",
            backend,
            kwargs.pop("backend_options"),
            "--option",
            base=config.section("options", backend),
        )
        settings = _parse_settings(kwargs.pop("settings"), base=config.settings())
    except ConfigError as exc:
        if not config.files:
            raise
        raise ConfigError(f"{exc} (config files: {', '.join(map(str, config.files))})") from None
    return {
        "backend": backend,
        "generation": _generation_config(kwargs, default),
        "model": kwargs.pop("model"),
        "backend_options": backend_options,
        "prompt": kwargs.pop("prompt_name"),
        "shots": kwargs.pop("shots"),
        "settings": settings,
    }


def _run_agent(build: Callable[[], Any], task: str, kwargs: dict[str, Any], kind: str) -> None:
    """Build the agent (``build``), run ``task`` on it, and show or print the run.

    Whatever fails before the run starts (a bad option or setting, a model that is missing)
    still ends as a run: recorded with status ``error`` through ``on_run_end`` (so the run
    store has it) and, with ``--json``, printed as that record, exit status 1.
    """
    from agentcore.cli.render import LiveRenderer
    from agentcore.cli.status import StatusLine
    from agentcore.models import RunStatus
    from agentcore.untrusted import for_terminal, json_for_terminal

    as_json, quiet = kwargs["as_json"], kwargs["quiet"]
    live = not as_json and not quiet
    status = StatusLine(enabled=live)
    try:
        _with_config(kwargs)
    except AgentcoreError as exc:
        _setup_failed(kind, task, kwargs["backend"] or "", kwargs["model"], exc, as_json=as_json)
        raise
    backend_name, model = kwargs["backend"], kwargs["model"]
    status.show(f"loading {backend_name}" + (f" ({model})" if model else ""))
    try:
        agent = build()
    except (AgentcoreError, click.UsageError) as exc:
        status.clear()
        _setup_failed(kind, task, backend_name, model, exc, as_json=as_json)
        raise
    finally:
        status.clear()

    renderer = None
    if live:
        renderer = LiveRenderer(agent, status=status)
        renderer.start(task, agent.backend.name, agent.backend.model_name)
    callbacks = {
        "on_token": renderer.on_token if renderer else None,
        "on_retry": renderer.on_retry if renderer else None,
    }
    result = _shown(agent.stream(task, **callbacks), agent, renderer, status)
    while result.status is RunStatus.PAUSED and live and sys.stdin.isatty():
        decision = ask_decision(result)
        if decision is None:
            break
        stream = agent.resume_stream(result.run_id, decision=decision, **callbacks)
        result = _shown(stream, agent, renderer, status)
    if as_json:  # the exact text, JSON-escaped; nothing a terminal would act on left raw
        click.echo(json_for_terminal(result.model_dump_json(indent=2)))
    elif quiet:
        answer = result.answer if result.answer is not None else f"({result.status.value})"
        click.echo(for_terminal(answer))
        for warning in result.warnings:  # a failing plugin is never silent
            click.echo(for_terminal(f"warning: {warning}"), err=True)
    else:
        renderer.finish(result)
    code = EXIT_CODES[result.status]
    if code:
        raise SystemExit(code)


def _shown(stream: Any, agent: Any, renderer: Any, status: Any) -> Any:
    """Run ``stream`` to its end, showing each step; Ctrl-C cancels the run (it is kept)."""
    try:
        for step in stream:
            if renderer:
                renderer.step(step)
    except KeyboardInterrupt:
        agent.cancel()
    finally:
        status.clear()
    return stream.result


def _checkpoints() -> Any:
    """The run store a command-line run commits its steps to (``None``: switched off)."""
    from agentcore.checkpoints import default_location
    from agentcore.run_store import open_run_store

    location = default_location()
    return None if location is None else open_run_store(location, shared=True)


#: A run's status → the command's exit status.
EXIT_CODES = {
    "finished": 0,
    "max_steps": 0,
    "error": 1,
    "cancelled": 130,
    "refused": 3,
    "budget": 4,
    "paused": 5,
    "lost": 1,
}


def _setup_failed(
    kind: str, task: str, backend: str, model: str | None, error: Exception, *, as_json: bool
) -> None:
    """Record a run that failed before it started; with ``--json``, print it and exit 1."""
    from agentcore.models import RunResult, RunStatus
    from agentcore.plugins import get_plugin_manager
    from agentcore.untrusted import json_for_terminal

    message = error.format_message() if isinstance(error, click.ClickException) else str(error)
    record = RunResult(
        agent=kind,
        input=task,
        status=RunStatus.ERROR,
        error=message,
        backend=backend,
        model=model or "",
    )
    record.notes.append(f"failed before the run started ({type(error).__name__})")
    for failure in get_plugin_manager().emit("on_run_end", result=record):
        record.warnings.append(f"plugin {failure.name!r} failed in {failure.entry_point}")
    if as_json:
        click.echo(json_for_terminal(record.model_dump_json(indent=2)))
        raise SystemExit(2 if isinstance(error, click.UsageError) else 1)


@click.group("run", cls=LazyGroup, lazy={"rag": "agentcore.cli.rag_command:run_rag"})
def run_group() -> None:
    """Run an agent: react (tools), pal (programs), rag (retrieval), prompt (one call)."""


@run_group.command("react")
@click.argument("question")
@click.option(
    "--tool",
    "-t",
    "tools",
    multiple=True,
    help="Tool to give the agent (repeatable; default: search, lookup).",
)
@click.option("--max-steps", type=int, default=7, show_default=True, help="Step budget.")
@click.option(
    "--wiki",
    type=click.Choice(["offline", "online"]),
    default="offline",
    show_default=True,
    help="Wikipedia backend for search/lookup.",
)
@click.option(
    "--grammar",
    "grammar_mode",
    type=click.Choice(list(GRAMMAR_MODES)),
    default="repair",
    show_default=True,
    help="Grammar-constrained actions on backends that support them: 'repair' regenerates only "
    "a malformed step under the grammar, 'always' constrains every step, 'never' relies on the "
    "tolerant parser alone.",
)
@click.option(
    "--tool-calls",
    "tool_calls",
    type=click.Choice(["text", "native"]),
    default="text",
    show_default=True,
    help="How the model calls tools: 'text' writes ReAct actions (search[X]); 'native' uses "
    "the model's own tool-call format (the tool-calling agent; llama-cpp and openai backends).",
)
@click.option(
    "--mcp",
    "mcp_servers",
    multiple=True,
    metavar="COMMAND_OR_URL",
    help='Give the agent the tools of this MCP server: a command ("python server.py") or a '
    "streamable-HTTP URL (repeatable; with no --tool, only these tools).",
)
@click.option(
    "--approve",
    "approve_tools",
    multiple=True,
    metavar="TOOL",
    help="Ask before each call of TOOL (repeatable): the run pauses for a decision.",
)
@click.option("--max-prompt-tokens", type=int, default=None, help="Prompt-token budget.")
@click.option("--max-completion-tokens", type=int, default=None, help="Generated-token budget.")
@click.option("--max-seconds", type=float, default=None, help="Time budget of the run.")
@_generation_options
def run_react(
    question: str,
    tools: tuple[str, ...],
    max_steps: int,
    wiki: str,
    grammar_mode: str,
    tool_calls: str,
    mcp_servers: tuple[str, ...],
    approve_tools: tuple[str, ...],
    max_prompt_tokens: int | None,
    max_completion_tokens: int | None,
    max_seconds: float | None,
    **kwargs,
) -> None:
    """Answer QUESTION by reasoning and acting with tools (ReAct).

    Each step is committed to the run store ($AGENTCORE_CHECKPOINTS, else the trace store's
    file; `off` switches it off): `agentcore runs resume RUN_ID` continues a run that was
    cancelled, killed or ran out of steps.
    """
    from agentcore.react import DEFAULT_TOOLS, ReActAgent

    budget = {
        "prompt_tokens": max_prompt_tokens,
        "completion_tokens": max_completion_tokens,
        "wall_s": max_seconds,
    }

    def build() -> ReActAgent:
        options = _agent_options(dict(kwargs), ReActAgent.default_generation)
        options["settings"].setdefault("wikipedia", {}).setdefault("mode", wiki)
        options["generation"] = options["generation"].model_dump(mode="json")
        config = kwargs.get("config")
        servers = list(mcp_servers) or (config.get("mcp", []) if config is not None else [])
        toolsets = [{"kind": "mcp", "source": source} for source in servers]
        spec = _spec(
            kind="tool-calling" if tool_calls == "native" else "react",
            tools=list(tools) or ([] if toolsets else list(DEFAULT_TOOLS)),
            toolsets=toolsets or None,
            max_steps=max_steps,
            constrain=GRAMMAR_MODES[grammar_mode],
            budget={k: v for k, v in budget.items() if v is not None} or None,
            approval={"tools": list(approve_tools)} if approve_tools else None,
            **options,
        )
        return spec.build(checkpoints=_checkpoints())

    _run_agent(build, question, kwargs, "tool-calling" if tool_calls == "native" else "react")


def _spec(**fields: Any) -> Any:
    """An :class:`~agentcore.specs.AgentSpec` from command-line values; a bad one is a usage
    error naming the option."""
    from pydantic import ValidationError

    from agentcore.options import format_validation_error
    from agentcore.specs import AgentSpec

    try:
        return AgentSpec(**{k: v for k, v in fields.items() if v is not None})
    except ValidationError as exc:
        raise click.UsageError(format_validation_error(exc, where="", model=AgentSpec)) from None


@run_group.command("pal")
@click.argument("problem")
@click.option(
    "--executor", default="sandbox", show_default=True, help="Code executor that runs the program."
)
@click.option(
    "--retries",
    type=int,
    default=1,
    show_default=True,
    help="Times a failing program goes back to the model with its error.",
)
@click.option(
    "--timeout",
    "timeout_s",
    type=float,
    default=5.0,
    show_default=True,
    help="Seconds the program may run.",
)
@_generation_options
def run_pal(problem: str, executor: str, retries: int, timeout_s: float, **kwargs) -> None:
    """Solve PROBLEM by having the model write a program that a sandbox runs (PAL)."""
    from agentcore.pal import PALAgent

    def build() -> PALAgent:
        return PALAgent(
            executor=executor,
            retries=retries,
            timeout_s=timeout_s,
            **_agent_options(dict(kwargs), PALAgent.default_generation),
        )

    _run_agent(build, problem, kwargs, PALAgent.kind)


@run_group.command("prompt")
@click.argument("text")
@_generation_options
def run_prompt(text: str, **kwargs) -> None:
    """Answer TEXT with one completion of a prompt (zero/one/few-shot, chain-of-thought).

    The default prompt is qa/brief (a direct answer); e.g. --prompt cot/math for word
    problems, --prompt classify/sentiment --shots 1.
    """
    from agentcore.fewshot import PromptAgent

    def build() -> PromptAgent:
        return PromptAgent(**_agent_options(dict(kwargs), PromptAgent.default_generation))

    _run_agent(build, text, kwargs, PromptAgent.kind)


# --- models and prompts -------------------------------------------------------------------


@click.command("models")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def models_command(as_json: bool) -> None:
    """List the GGUF models known to agentcore and whether each is installed."""
    from agentcore.model_registry import KNOWN_MODELS, MODEL_ENV, cache_dir, default_model

    rows = []
    for model in KNOWN_MODELS.values():
        assembled = cache_dir() / "models" / model.file_name
        rows.append(
            {
                "name": model.name,
                "default": model.name == default_model(),
                "quantization": model.quantization,
                "size_mb": round(model.size / 1e6),
                "source": f"{model.distributions[0]}"
                + (f" … {model.distributions[-1]}" if len(model.distributions) > 1 else ""),
                "sha256": model.sha256,
                "installed": model.is_installed(),
                "assembled": str(assembled) if assembled.is_file() else None,
                "description": model.description,
            }
        )
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        mark = "*" if row["default"] else " "
        state = "installed" if row["installed"] else "not installed"
        click.secho(f"{mark} {row['name']}", bold=True, nl=False)
        click.echo(f"  {row['quantization']}, {row['size_mb']} MB, {state}")
        click.echo(f"    {row['description']}")
        click.echo(f"    source: {row['source']}  sha256: {row['sha256'][:16]}…")
    click.echo(
        f"(* default, set ${MODEL_ENV} to change it; any path to a .gguf file also works "
        "with --model)"
    )


@click.command("prompts")
def prompts_command() -> None:
    """List the prompts that can be loaded by name."""
    from agentcore.prompts import list_prompts, load_prompt

    for name in list_prompts():
        template = load_prompt(name)
        click.secho(name, bold=True, nl=False)
        click.echo(f"  ({len(template.exemplars)} exemplars) {template.description}")
