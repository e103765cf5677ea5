"""``agentcore runs`` (list / show), ``agentcore feedback`` and ``agentcore export``.

``agentcore runs`` alone lists recent runs; ``agentcore runs show RUN_ID`` (or just
``agentcore runs RUN_ID``) prints one run's full trace. Run ids may be given by a
unique prefix, or as ``last``. Problems the user can fix (unknown id, store
disabled or locked) are one error line and exit status 1.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from agentcore_store.config import describe_setting, store_path
from agentcore_store.errors import StoreError

CLI_WAIT_S = 10.0
STATUSES = (
    "running", "lost", "finished", "max_steps", "error", "cancelled", "refused", "paused",
    "budget",
)  # fmt: skip
#: A resumed run's status → the command's exit status (as ``agentcore run``'s).
EXIT_CODES = {"error": 1, "lost": 1, "cancelled": 130, "refused": 3, "budget": 4, "paused": 5}


def _path() -> Path:
    path = store_path()
    if path is None:
        raise StoreError("the run store is disabled (AGENTCORE_STORE=off); unset it to use it")
    return path


def _open(path: Path, *, create: bool = False) -> Any:
    from agentcore_store.connection import open_store

    return open_store(path, wait_s=CLI_WAIT_S, create=create)


class _RunsGroup(click.Group):
    """A group whose unknown "subcommand" is taken as a run id: ``agentcore runs ab12``."""

    def resolve_command(self, ctx: click.Context, args: list[str]):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            return "show", self.commands["show"], args
        return super().resolve_command(ctx, args)


@click.group("runs", cls=_RunsGroup, invoke_without_command=True)
@click.option(
    "--limit",
    "-n",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="How many runs to list.",
)
@click.option("--status", type=click.Choice(STATUSES), default=None, help="Only runs with it.")
@click.option("--agent", default=None, help="Only runs of this agent (react, pal, ...).")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.pass_context
def runs_group(
    ctx: click.Context, limit: int, status: str | None, agent: str | None, as_json: bool
) -> None:
    """List stored runs, most recent first; `agentcore runs RUN_ID` shows one.

    RUN_ID may be a unique prefix of the id, or `last`. A run whose status is
    `lost` started but its process ended before it could record the end (killed).
    """
    if ctx.invoked_subcommand is not None:
        return
    from agentcore_store.queries import list_runs
    from agentcore_store.render import print_run_list, to_json

    path = _path()
    with _open(path) as con:
        runs = [] if con is None else list_runs(con, limit=limit, status=status, agent=agent)
    if as_json:
        click.echo(to_json(runs))
    elif not runs:
        click.echo(f"No runs stored yet in {path} ({describe_setting()}).")
    else:
        print_run_list(runs)


@runs_group.command("show")
@click.argument("run_id")
@click.option("--prompts", is_flag=True, help="Include the full prompt of every LLM call.")
@click.option("--json", "as_json", is_flag=True, help="Print the stored trace as JSON.")
def show_command(run_id: str, prompts: bool, as_json: bool) -> None:
    """Print RUN_ID's full trace: steps, tool calls, LLM completions, feedback."""
    from agentcore_store.queries import load_run, resolve_run_id
    from agentcore_store.render import print_run, to_json

    with _open(_path()) as con:
        if con is None:
            raise StoreError(f"no run store at {_path()} yet, so no run {run_id!r}")
        trace = load_run(con, resolve_run_id(con, run_id), prompts=prompts)
    if as_json:
        click.echo(to_json(trace))
    else:
        print_run(trace, prompts=prompts)


# -- durable runs: resume, approve, reject ------------------------------------------------------


def _continue(run_id: str, as_json: bool, how: str, **options: Any) -> None:
    """Rebuild the agent RUN_ID ran on, continue the run ``how`` (resume / approve / reject),
    print each new step as the prompt writes it, then the outcome."""
    from agentcore.plugin import agent_for_run, for_terminal, json_for_terminal, open_checkpoints

    full_id = _full_id(run_id)
    store = open_checkpoints()
    try:
        agent = agent_for_run(full_id, store)
        stream = getattr(agent, how)(full_id, **options)
        for step in stream:
            if as_json:
                continue
            for line in agent.step_lines(step):
                click.echo(for_terminal(line))
            if step.observation is not None:
                line = agent.observation_line(step.index, step.observation) or step.observation
                click.echo(for_terminal(line))
        result = stream.result
    finally:
        store.close()
    if as_json:
        click.echo(json_for_terminal(result.model_dump_json(indent=2)))
    else:
        if result.answer is not None:
            click.echo(for_terminal(f"Answer: {result.answer}"))
        if result.error:
            click.echo(for_terminal(f"Error: {result.error}"), err=True)
        if result.pending is not None:
            pending = result.pending
            click.echo(
                for_terminal(
                    f"Paused: {pending.tool} {json.dumps(pending.arguments)} waits for a "
                    f"decision: agentcore runs approve|reject {full_id}"
                )
            )
        click.echo(f"[{result.status.value} · {len(result.steps)} steps · run {full_id}]")
    code = EXIT_CODES.get(result.status.value, 0)
    if code:
        raise SystemExit(code)


def _full_id(run_id: str) -> str:
    """A run id from a unique prefix or ``last``, where the trace store knows the run."""
    path = store_path()
    if path is None or not path.exists():
        return run_id
    from agentcore_store.errors import RunNotFoundError
    from agentcore_store.queries import resolve_run_id

    with _open(path) as con:
        try:
            return resolve_run_id(con, run_id) if con is not None else run_id
        except RunNotFoundError:
            return run_id  # the checkpoint store may know it (its error is the clearer one)


@runs_group.command("resume")
@click.argument("run_id")
@click.option(
    "--extra-steps", type=click.IntRange(min=1), default=None,
    help="For a max_steps run: how many more steps (default: its agent's max_steps).",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the run result as JSON.")
def resume_command(run_id: str, extra_steps: int | None, as_json: bool) -> None:
    """Continue RUN_ID from its last committed step: a run that was cancelled, killed
    (lost), ran out of steps or budget. A paused run needs `approve` or `reject` instead."""
    _continue(run_id, as_json, "resume_stream", extra_steps=extra_steps)


@runs_group.command("approve")
@click.argument("run_id")
@click.option("--arguments", default=None, help="Run the call with these arguments (JSON).")
@click.option("--by", default=None, help="Who approves (default: your user name).")
@click.option("--json", "as_json", is_flag=True, help="Print the run result as JSON.")
def approve_command(run_id: str, arguments: str | None, by: str | None, as_json: bool) -> None:
    """Approve the tool call paused RUN_ID waits on, and continue the run."""
    edited = None
    if arguments is not None:
        try:
            edited = json.loads(arguments)
        except json.JSONDecodeError as exc:
            raise click.UsageError(f"--arguments is not JSON: {exc.msg}") from None
    _continue(run_id, as_json, "decide_stream", verdict="approve", arguments=edited, by=_by(by))


@runs_group.command("reject")
@click.argument("run_id")
@click.option("--reason", required=True, help="Why: the model is told.")
@click.option("--by", default=None, help="Who rejects (default: your user name).")
@click.option("--json", "as_json", is_flag=True, help="Print the run result as JSON.")
def reject_command(run_id: str, reason: str, by: str | None, as_json: bool) -> None:
    """Reject the tool call paused RUN_ID waits on; the run goes on without it."""
    _continue(run_id, as_json, "decide_stream", verdict="reject", reason=reason, by=_by(by))


def _by(name: str | None) -> str:
    import getpass

    return name or getpass.getuser()


@click.command("feedback")
@click.argument("run_id")
@click.option("--good/--bad", "good", default=None, help="Rate the run (required).")
@click.option("--note", default=None, help="Why: what was right or wrong.")
def feedback_command(run_id: str, good: bool | None, note: str | None) -> None:
    """Record that RUN_ID (an id, a unique prefix, or `last`) was good or bad."""
    from agentcore_store.queries import add_feedback, resolve_run_id

    if good is None:
        raise click.UsageError("say whether the run was --good or --bad")
    path = _path()
    with _open(path) as con:
        if con is None:
            raise StoreError(f"no run store at {path} yet, so no run {run_id!r}")
        full_id = resolve_run_id(con, run_id)
        add_feedback(con, full_id, "good" if good else "bad", note)
    click.echo(f"Recorded {'good' if good else 'bad'} feedback for run {full_id}.")


@click.command("export")
@click.option(
    "--out",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="JSONL file to write (default: standard output).",
)
@click.option("--only-good", is_flag=True, help="Only calls of runs rated --good.")
@click.option("--agent", default=None, help="Only calls of this agent (react, pal, ...).")
def export_command(out: Path | None, only_good: bool, agent: str | None) -> None:
    """Write prompt/completion pairs with their run's feedback as JSONL, for fine-tuning.

    One line per LLM call: run_id, step_index, prompt, completion, rating, note,
    agent, model, status. The rating is the run's latest feedback (null if none).
    """
    from agentcore_store.queries import export_pairs
    from agentcore_store.render import to_json

    path = _path()
    count, runs = 0, set()
    handle = out.open("w", encoding="utf-8") if out is not None else None
    try:
        with _open(path) as con:
            pairs = [] if con is None else export_pairs(con, only_good=only_good, agent=agent)
            for pair in pairs:
                line = to_json(pair, indent=None)
                if handle is not None:
                    handle.write(line + "\n")
                else:
                    click.echo(line)
                count += 1
                runs.add(pair["run_id"])
    finally:
        if handle is not None:
            handle.close()
    where = str(out) if out is not None else "standard output"
    click.echo(
        f"Exported {count} prompt/completion pair(s) from {len(runs)} run(s) to {where}.", err=True
    )
