"""``agentcore eval DATASET``, ``agentcore eval compare A B``, ``agentcore eval report A``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from agentcore.plugin import ConfigError

AGENTS = ("react", "tool-calling", "pal", "cot", "rag", "prompt")


class EvalGroup(click.Group):
    """``agentcore eval hotpotqa ...`` is ``agentcore eval run hotpotqa ...``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


@click.group("eval", cls=EvalGroup)
def eval_group() -> None:
    """Score agents on HotpotQA, FEVER, GSM8K or your JSONL; compare and report results.

    \b
    agentcore eval hotpotqa -n 100 --out hotpot.jsonl
    agentcore eval fever -n 100 --cluster local:2
    agentcore eval answers.jsonl --metric rouge --agent prompt
    agentcore eval compare before.jsonl after.jsonl
    agentcore eval report hotpot.jsonl --html hotpot.html
    """


@eval_group.command("run")
@click.argument("dataset")
@click.option(
    "--agent",
    "agent_kind",
    type=click.Choice(AGENTS),
    default=None,
    help="The loop [default: the dataset's: react for hotpotqa/fever, pal for gsm8k]; "
    "tool-calling is ReAct with the model's native tool calls.",
)
@click.option("--prompt", "prompt_name", default=None, help="Prompt name or .toml path.")
@click.option("--metric", default=None, help="em, f1, accuracy, rouge, bleu, or a plugin's.")
@click.option("--backend", "-b", default=None, help="LLM backend [default: llama-cpp].")
@click.option("--model", "-m", default=None, help="Model name or GGUF path.")
@click.option(
    "--option",
    "-o",
    "backend_options",
    multiple=True,
    metavar="KEY=VALUE",
    help="Backend option, e.g. -o n_ctx=8192 (repeatable).",
)
@click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="SECTION.KEY=VALUE",
    help="Tool setting, e.g. --set wikipedia.similar=8 (repeatable).",
)
@click.option("--max-new-tokens", type=int, default=None)
@click.option("--temperature", type=float, default=None, help="0 = greedy.")
@click.option("--seed", type=int, default=None, help="Sampling seed, the same for every item.")
@click.option("--max-steps", type=int, default=None, help="ReAct step budget.")
@click.option(
    "--observation-chars", type=int, default=None, help="ReAct: cap on each observation shown."
)
@click.option(
    "--repeats",
    type=click.Choice(["exclude", "note"]),
    default=None,
    help="ReAct, an action taken again: regenerated excluding it [default] or only noted.",
)
@click.option("--shots", type=int, default=None, help="Exemplars in the prompt.")
@click.option("-n", "count", type=int, default=None, help="Items to evaluate [default: all].")
@click.option("--offset", type=int, default=0, help="Skip this many items first.")
@click.option("--workers", type=int, default=1, help="Threads here, each with its own model.")
@click.option("--cluster", default=None, help="local:N (Dask worker processes) or tcp://HOST:PORT.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Results JSONL; an existing one is resumed [default: DATASET-AGENT.jsonl].",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def run_command(dataset: str, agent_kind: str | None, prompt_name: str | None,
                metric: str | None, backend: str | None, model: str | None,
                backend_options: tuple[str, ...], settings: tuple[str, ...],
                max_new_tokens: int | None, temperature: float | None, seed: int | None,
                max_steps: int | None, observation_chars: int | None, repeats: str | None,
                shots: int | None,
                count: int | None, offset: int, workers: int, cluster: str | None, out: Path | None,
                quiet: bool) -> None:  # fmt: skip
    """Evaluate an agent on DATASET (hotpotqa, fever, gsm8k, or a .jsonl file)."""
    from agentcore_eval.datasets import load_dataset
    from agentcore_eval.results import EvalHeader, ResultsFile
    from agentcore_eval.runner import evaluate, split_cores, take

    if count is not None and count < 1:
        raise click.BadParameter("must be at least 1", param_hint="-n")
    if offset < 0:
        raise click.BadParameter("must be 0 or more", param_hint="--offset")
    if workers < 1:
        raise click.BadParameter("must be at least 1", param_hint="--workers")
    data = load_dataset(dataset, metric)
    spec = _spec(data, agent_kind, prompt_name, backend, model, backend_options, settings,
                 max_new_tokens, temperature, max_steps, observation_chars, repeats,
                 shots)  # fmt: skip
    # the header records what is evaluated; how it is spread over cores is not part of it
    agent = portable(spec.model_dump(exclude_defaults=True))
    header = EvalHeader(dataset=data.name, metric=data.metric, agent=agent, seed=seed)
    if cluster and cluster.startswith("local:") and cluster[6:].isdigit():
        spec = split_cores(spec, int(cluster[6:]))
    elif workers > 1:
        spec = split_cores(spec, workers)
    items = take(data.items, offset, count)
    out = out or Path(f"{data.name.removesuffix('.gz').removesuffix('.jsonl')}-{spec.kind}.jsonl")
    results = ResultsFile(out, header)
    already = sum(1 for item in items if item.id in results.done)
    if already:
        click.echo(f"resuming {out}: {already} of {len(items)} items done already", err=True)
    started = time.monotonic()
    with _progress(len(items), already, data.metric, quiet) as report:
        try:
            evaluate(spec, data.metric, items, results, workers=workers, cluster=cluster,
                     seed=seed, progress=report)  # fmt: skip
        except KeyboardInterrupt:
            click.echo(f"\ninterrupted: the items done are in {out}; run again to resume", err=True)
            raise SystemExit(130) from None
    _print_summary(header, [results.done[i.id] for i in items if i.id in results.done])
    click.echo(f"results: {out} ({time.monotonic() - started:.0f} s)", err=True)


def _spec(data: Any, agent_kind: str | None, prompt_name: str | None, backend: str | None,
          model: str | None, backend_options: tuple[str, ...], settings: tuple[str, ...],
          max_new_tokens: int | None, temperature: float | None, max_steps: int | None,
          observation_chars: int | None, repeats: str | None,
          shots: int | None) -> Any:  # fmt: skip
    """The agent to evaluate: the dataset's defaults for the kind, then the flags; checked
    here (options, settings, values) before any model loads."""
    from pydantic import ValidationError

    from agentcore.plugin import (
        AgentSpec,
        format_validation_error,
        get_plugin_manager,
        parse_key_values,
    )

    kind = agent_kind or data.agent
    fields = data.spec_for("prompt" if kind == "cot" else kind)
    if kind == "cot":
        fields.update(data.spec_for("cot"), kind="prompt")
        fields.setdefault("prompt", "cot/math")
    pm = get_plugin_manager()
    if backend:
        fields["backend"] = backend
    if model:
        fields["model"] = model
    if backend_options:
        name = fields.get("backend") or AgentSpec.model_fields["backend"].default
        fields["backend_options"] = pm.registry.get("backend", name).check(
            **parse_key_values(backend_options, "-o")
        )
    if settings:
        chosen = {k: dict(v) for k, v in fields.get("settings", {}).items()}
        for key, value in parse_key_values(settings, "--set").items():
            section, dot, name = key.partition(".")
            if not dot:
                raise click.BadParameter(f"{key!r} is not SECTION.KEY", param_hint="--set")
            chosen.setdefault(section, {})[name] = value
        fields["settings"] = pm.validate_settings(chosen)
    generation = dict(fields.get("generation", {}))
    if max_new_tokens is not None:
        generation["max_new_tokens"] = max_new_tokens
    if temperature is not None:
        generation.update(temperature=temperature, greedy=temperature == 0)
    if generation:
        fields["generation"] = generation
    chosen_fields = (
        ("prompt", prompt_name), ("max_steps", max_steps), ("repeats", repeats),
        ("shots", shots), ("observation_chars", observation_chars),
    )  # fmt: skip
    for name, value in chosen_fields:
        if value is not None:
            fields[name] = value
    if fields["kind"] not in ("react", "tool-calling", "chat"):
        for name in ("max_steps", "repeats", "observation_chars", "tools"):
            fields.pop(name, None)
    try:
        return AgentSpec(**fields)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, where="the eval's agent")) from None


def portable(value: Any) -> Any:
    """``value`` with paths into agentcore's cache (a dataset's generated corpus) written as
    ``$AGENTCORE_CACHE/...``, so a results file resumes and compares on another machine."""
    from agentcore.plugin import cache_dir

    root = str(cache_dir())
    if isinstance(value, str) and value.startswith(root + "/"):
        return "$AGENTCORE_CACHE" + value[len(root) :]
    if isinstance(value, dict):
        return {key: portable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [portable(item) for item in value]
    return value


class _progress:
    """A rich progress bar with the running score and the ETA (standard error)."""

    def __init__(self, total: int, done: int, metric: str, quiet: bool) -> None:
        from agentcore.plugin import create_provider

        self.total, self.done, self.quiet = total, done, quiet
        self.primary = create_provider("metric", metric).primary
        self.right = 0.0
        self.count = 0

    def __enter__(self):
        if self.quiet:
            return lambda result: None
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )  # fmt: skip

        self.bar = Progress(
            TextColumn("[bold]eval"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[score]}"), TimeElapsedColumn(), TextColumn("ETA"),
            TimeRemainingColumn(), transient=False,
        )  # fmt: skip
        self.bar.start()
        self.task = self.bar.add_task("eval", total=self.total, completed=self.done, score="")
        return self.report

    def report(self, result: Any) -> None:
        self.count += 1
        self.right += result.scores.get(self.primary, 0.0)
        score = f"{self.primary} {100 * self.right / self.count:.1f}"
        self.bar.update(self.task, advance=1, score=score)

    def __exit__(self, *exc: Any) -> None:
        if not self.quiet:
            self.bar.stop()


def _print_summary(header: Any, items: list[Any]) -> None:
    from agentcore_eval.summary import summarize

    summary = summarize(header, items)
    click.echo(f"\n{header.dataset} · {header.metric} · {header.agent.get('kind')}")
    click.echo("| | |\n|---|---|")
    for what, value in summary.rows():
        click.echo(f"| {what} | {value} |")


@eval_group.command("compare")
@click.argument("a", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("b", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--resamples", type=click.IntRange(100, 100_000), default=2000)
@click.option("--confidence", type=click.FloatRange(0.5, 0.999), default=0.95)
@click.option("--show", type=int, default=10, help="Flipped items to list each way.")
def compare_command(a: Path, b: Path, resamples: int, confidence: float, show: int) -> None:
    """B − A on the items both hold: a paired bootstrap interval, and the items that flipped."""
    from agentcore_eval.results import read_results
    from agentcore_eval.summary import compare

    header_a, items_a = read_results(a)
    header_b, items_b = read_results(b)
    c = compare(header_a, items_a, header_b, items_b, resamples=resamples, confidence=confidence)
    click.echo(f"{c.primary} on {c.paired} paired items: A {c.a:.1f} → B {c.b:.1f}")
    click.echo(
        f"difference B − A: {c.difference:+.1f}  ({confidence:.0%} bootstrap interval "
        f"{c.low:+.1f} … {c.high:+.1f}, {resamples} resamples)"
    )
    if c.low > 0 or c.high < 0:
        click.echo("the interval excludes 0: the difference is unlikely to be chance")
    else:
        click.echo("the interval includes 0: this could be chance")
    if c.only_a or c.only_b:
        click.echo(f"(not paired: {c.only_a} items only in A, {c.only_b} only in B)")
    for title, pairs in (("wrong in A, right in B", c.fixed), ("right in A, wrong in B", c.broken)):
        click.echo(f"\n{title}: {len(pairs)}")
        for item_a, item_b in pairs[:show]:
            click.echo(
                f"  {item_a.id}: gold {item_a.reference!r}; A {item_a.answer!r}, "
                f"B {item_b.answer!r}"
            )


@eval_group.command("report")
@click.argument("results", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--html", "html_out", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Write the page here [default: RESULTS with .html].")  # fmt: skip
def report_command(results: Path, html_out: Path | None) -> None:
    """An HTML page of a results file: scores, steps, failure kinds, the wrong items."""
    from agentcore_eval.report import render
    from agentcore_eval.results import read_results
    from agentcore_eval.summary import summarize

    header, items = read_results(results)
    target = html_out or results.with_suffix(".html")
    target.write_text(render(header, items, summarize(header, items)), encoding="utf-8")
    click.echo(str(target))
