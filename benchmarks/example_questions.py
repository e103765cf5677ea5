"""What every question the READMEs ask gets from the default and the fast model, offline.

The commands are read from the READMEs' bash blocks by the README test's own parser
(``examples/tests/test_readme_commands.py``), so this table covers exactly what a reader is shown.
Each one runs once per model as a reader would type it, with ``--model`` set; ``agentcore run``
commands are run with ``--json`` so the answer is read from the run record, the example scripts'
summary lines are quoted, and ShopBot's conversation is judged by the carrier's and the mailbox's
own records (the label issued, the address it went to). Greedy decoding throughout, so a rerun on
the same machine prints the same table. Run nothing else meanwhile: the wall times are for 2 idle
cores.

    .venv/bin/python benchmarks/example_questions.py                 # both models
    .venv/bin/python benchmarks/example_questions.py --models qwen2.5-coder-0.5b
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODELS = ("qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b")

#: the right answer to each question the READMEs ask (a fragment of the question → the answer)
GOLD = {
    "Arthur's Magazine or First for Women": "Arthur's Magazine",
    "Beverly Hills Bakery": "74",
    "Red Herring or GameFan": "GameFan",
    "Roger has 5 tennis balls": "11",
    "The cafeteria had 23 apples": "9",
    "plaintiff in case 2023-CV-0412": "Marisol Okafor",
    "insurer denied a flood claim": "Cascade Mutual Insurance Company",
    "Nice, but pricey.": "mixed",
    "Nice but pricey.": "mixed",
    "Arrived broken, but the replacement works well.": "mixed",
}

#: what an example script's output says about how it did
SCRIPT_SUMMARY = {
    "hotpotqa.py": r"exact match: \d+/\d+.*",
    "pal_math/compare.py": r"correct: PAL \d/3, CoT \d/3",
    "in_context/classify.py": r"(?m)^Arrived broken.*$",
    "generation_settings/compare.py": r"greedy \(temperature 0\) +— \d distinct of 3",
}


def readme_commands() -> list[tuple[str, str]]:
    """(README, command) for every command the README test runs."""
    path = ROOT / "examples" / "tests" / "test_readme_commands.py"
    spec = importlib.util.spec_from_file_location("readme_test", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    found: list[tuple[str, str]] = []
    for example in [*module.EXAMPLES, ""]:
        where = f"examples/{example}" if example else "README.md"
        found += [(where, command) for command in module.readme_commands(example)]
    return found


def runs_a_model(command: str) -> bool:
    if "agentcore run " in command or "--message" in command:
        return "--backend transformers" not in command
    return any(script in command for script in SCRIPT_SUMMARY)


def with_model(argv: list[str], model: str) -> list[str]:
    out: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg in ("--model", "-m"):
            skip = True
            continue
        out.append(arg)
    return [*out, "--model", model]


def gold_for(command: str) -> str | None:
    return next((answer for fragment, answer in GOLD.items() if fragment in command), None)


def is_right(answer: str, gold: str) -> bool:
    def norm(text: str) -> str:
        return re.sub(r"[^a-z0-9 ]", "", text.lower()).strip()

    return norm(gold) in norm(answer)


def shopbot_outcome(work_dir: Path) -> str:
    """The labels the carrier issued and where the mail went, from their own records."""
    import mailbox

    sys.path.insert(0, str(ROOT / "examples" / "shopbot"))
    from carrier_store import LabelStore

    found = [
        f"label {label.order_id} {'+'.join(sorted(label.items))} for {label.customer_email}"
        for label in LabelStore(work_dir / "carrier").labels()
    ]
    if (work_dir / "mail").is_dir():
        found += [f"mail to {m['To']}" for m in mailbox.Maildir(work_dir / "mail", create=False)]
    return "; ".join(found) or "no label, no mail"


def run_one(command: str, model: str, scratch: Path) -> dict[str, str]:
    argv = shlex.split(command.replace("/tmp/", f"{scratch}/"))
    argv = [part.replace(".venv/bin/", f"{sys.prefix}/bin/") for part in argv]
    if argv[0] == "agentcore":
        argv[0] = f"{sys.prefix}/bin/agentcore"
    argv = with_model(argv, model)
    is_run = "agentcore run " in command
    if is_run and "--json" not in argv:
        argv.append("--json")
    env = {**os.environ, "AGENTCORE_STORE": "off", "AGENTCORE_CONFIG": "off"}
    env["PYTHONPATH"] = str(ROOT)
    start = time.perf_counter()
    done = subprocess.run(
        argv, cwd=scratch, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    wall = time.perf_counter() - start
    output = done.stdout + done.stderr
    if done.returncode != 0:
        return {"answer": f"exit {done.returncode}: {output.strip().splitlines()[-1:]}", "wall": ""}
    if is_run:
        record = json.loads(done.stdout)
        answer = " ".join(str(record.get("answer") or f"({record.get('status')})").split())
        status = record.get("status", "")
        steps = len(record.get("steps", []))
        answer = answer if status == "finished" else f"{answer} [{status}]"
        return {"answer": answer, "wall": f"{wall:.0f} s", "steps": str(steps)}
    if "--message" in command:
        work_dir = next(
            (
                scratch / p.split("=", 1)[1].removeprefix(f"{scratch}/")
                for p in argv
                if p.startswith("shopbot.work_dir=")
            ),
            None,
        )
        replies = re.findall(r"(?m)^agent> (.*)$", output)
        last = replies[-1] if replies else "(no reply)"
        outcome = shopbot_outcome(work_dir) if work_dir else ""
        return {
            "answer": f"{outcome} — “{last[:90]}”" if outcome else f"“{last[:120]}”",
            "wall": f"{wall:.0f} s",
        }
    pattern = next(p for script, p in SCRIPT_SUMMARY.items() if script in command)
    found = re.search(pattern, output)
    return {
        "answer": re.sub(r"\s+", " ", found.group(0)) if found else "(no summary)",
        "wall": f"{wall:.0f} s",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--only", default="", help="run only commands containing this text")
    args = parser.parse_args()
    models = args.models.split(",")
    commands = [(w, c) for w, c in readme_commands() if runs_a_model(c) and args.only in c]
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        (scratch / "examples").symlink_to(ROOT / "examples")
        index = f"{sys.prefix}/bin/agentcore index examples/rag_legal/cases --into legal.duckdb"
        subprocess.run(shlex.split(index), cwd=scratch, check=True, capture_output=True)
        print("| README | command | right answer | " + " | ".join(models) + " |")
        print("|---|---|---|" + "---|" * len(models))
        for where, command in commands:
            gold = gold_for(command)
            cells = []
            for model in models:
                result = run_one(command, model, scratch)
                mark = ""
                if gold is not None and result.get("steps"):
                    mark = "✓ " if is_right(result["answer"], gold) else "✗ "
                steps = f", {result['steps']} steps" if result.get("steps") else ""
                cells.append(f"{mark}{result['answer'][:140]} ({result['wall']}{steps})")
            short = re.sub(r"^\S*(agentcore|python) ", r"\1 ", command)
            short = short if len(short) < 90 else short[:87] + "…"
            print(f"| {where} | `{short}` | {gold or ''} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
