"""Every example runs with the commands its README gives, on the real embedded model, offline.

The commands are read from each README's ```bash blocks — not copied here — so a README that
drifts from the code fails this test. They run in a scratch directory that links to the
repository's ``examples/`` and ``.venv/``, so files a command writes (an index, a work dir) land
there. ``AGENTCORE_MODEL`` makes the fast 0.5B model the default, keeping CI time down; commands
that name a model keep theirs. Each command must exit 0 and print what its README promises.

Not run: lines that start a background service (``… &``, shown for manual set-ups), ``ls``, and
``pytest`` invocations (those tests run anyway). The plugin template's README installs a package
and has its own test.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = [
    "react_wikipedia",
    "pal_math",
    "rag_legal",
    "shopbot",
    "in_context",
    "generation_settings",
    "mcp_tools",
]
FAST_MODEL = "qwen2.5-coder-0.5b"

#: (pattern in the command, regexes its output must match)
EXPECTED: list[tuple[str, list[str]]] = [
    ("sandbox run examples/pal_math/solution.py", [r'"value": 74']),
    ("--json", [r'"status": "finished"', r'"answer": "\S']),  # the run record, not the render
    ("run react", [r"Answer: \S"]),
    ("hotpotqa.py", [r"(?m)^Q: ", r"exact match: \d+/5"]),
    (
        "pal_math/compare.py",
        [r"(?m)^The bakers at the Beverly Hills", r"correct: PAL \d/3, CoT \d/3"],
    ),
    ("run pal", [r"Answer: \S"]),
    ("--prompt cot/math", [r"Answer: \S"]),
    ("agentcore index", [r"21 (files|documents)"]),
    ("run rag", [r"Answer: \S", r"\[1\] \S+\.md, passage \d+"]),
    ("-r bm25", [r"\[1\] 2023-CV-0412\.md"]),
    ("agentcore retrieve", [r"\[1\] \S+\.md, passage \d"]),
    ("chat examples/shopbot/bot.py --set", [r"you> My order number is 1001", r"sql"]),
    ("in_context/classify.py", [r"k=0 +k=1 +k=3 +k=5", r"used [0-4] exemplars"]),
    ("--shots 5 -o n_ctx=100", [r"dropped [1-5] of 5 exemplars"]),
    ("--prompt classify/sentiment", [r"Answer: \S"]),
    ("orders_db.py shop.duckdb", [r"orders database at \S*shop\.duckdb"]),
    ("agentcore sql shop.duckdb", [r"(?i)order_id"]),
    ("agentcore runs show last", [r"[0-9a-f]{12}", r"(?i)step"]),
    ("agentcore runs", [r"(?m)^[0-9a-f]{12} "]),
    ("agentcore feedback last", [r"(?i)good"]),
    ("agentcore sandbox check", [r"(?i)landlock|seccomp"]),
    ("agentcore config", [r"config files: "]),
    ("chat examples/shopbot/bot.py --message", [r"agent> \S"]),
    (
        "generation_settings/compare.py",
        [
            r"greedy \(temperature 0\) +— 1 distinct of 3",
            r"top_k=1, temperature 1\.0 \(= greedy\) +— 1 distinct of 3",
        ],
    ),
]


def readme_commands(example: str) -> list[str]:
    """The runnable commands in the README's bash blocks, continuation lines joined.

    ``example`` is a folder of ``examples/``, or ``""`` for the top-level README's
    "Command line" section (commands there run with the virtualenv activated).
    """
    if example:
        text = (ROOT / "examples" / example / "README.md").read_text(encoding="utf-8")
    else:
        text = (ROOT / "README.md").read_text(encoding="utf-8")
        text = text.split("## Command line", 1)[1].split("\n## ", 1)[0]
    commands: list[str] = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        lines = [line.split("  #")[0].strip() for line in block.replace("\\\n", " ").splitlines()]
        if any(line.endswith("&") for line in lines):
            continue  # a manual set-up that starts services by hand
        for line in lines:
            typed = (".venv/bin/agentcore", ".venv/bin/python", "agentcore ")
            if not line.startswith(typed if example else (*typed, "python ")):
                continue  # bare `python` only in the top-level README (the venv activated)
            # with the fast model as the default, naming it again would only repeat a run
            line = re.sub(rf"\s(--model|-m) {re.escape(FAST_MODEL)}\b", "", line)
            if "pytest" not in line and line not in commands:
                commands.append(line)
    return commands


def expectations(command: str) -> list[str]:
    for fragment, patterns in EXPECTED:
        if fragment in command:
            return patterns
    return []


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    (tmp_path / ".venv").symlink_to(Path(sys.prefix))
    (tmp_path / "benchmarks").symlink_to(ROOT / "benchmarks")
    return tmp_path


@pytest.mark.parametrize("example", [*EXAMPLES, ""], ids=[*EXAMPLES, "README"])
def test_readme_commands_run(example: str, scratch: Path) -> None:
    pytest.importorskip("llama_cpp")
    commands = readme_commands(example)
    where = f"examples/{example}/README.md" if example else "README.md"
    assert commands, f"no runnable command found in {where}"
    env = {
        **os.environ,
        "AGENTCORE_MODEL": FAST_MODEL,
        # the top-level README shows the run store: it gets one of its own, in the scratch dir
        "AGENTCORE_STORE": "off" if example else str(scratch / "runs.duckdb"),
        "AGENTCORE_CONFIG": "off",
        "PATH": f"{Path(sys.prefix) / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONUNBUFFERED": "1",
    }
    for command in commands:
        command = command.replace("/tmp/", f"{scratch}/")
        argv = shlex.split(command)
        if argv[0] == "python":  # as typed with the virtualenv activated
            argv[0] = sys.executable
        done = subprocess.run(
            argv,
            cwd=scratch,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=1200,
        )
        output = done.stdout + done.stderr
        assert done.returncode == 0, f"{command}\nexit {done.returncode}\n{output[-3000:]}"
        if "export --out" in command:
            assert (scratch / "runs.jsonl").stat().st_size > 0, "export wrote nothing"
        for pattern in expectations(command):
            assert re.search(pattern, output), (
                f"{command}\nmissing {pattern!r} in:\n{output[-3000:]}"
            )
