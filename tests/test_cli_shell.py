"""The command line in a shell: completion scripts (click's) and --verbose logging."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).with_name("agentcore")  # the installed command a shell runs


def agentcore(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "AGENTCORE_STORE": "off", **env},
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("words", "index", "expected"),
    [
        ("agentcore ru", "1", {"run", "runs"}),  # runs comes from the store plugin
        ("agentcore run re", "2", {"react"}),
        ("agentcore run react --gr", "3", {"--grammar", "--greedy"}),
    ],
)
def test_bash_completion_completes_commands_and_options(words, index, expected):
    done = agentcore(_AGENTCORE_COMPLETE="bash_complete", COMP_WORDS=words, COMP_CWORD=index)
    assert done.returncode == 0, done.stderr
    offered = {line.split(",", 1)[1] for line in done.stdout.splitlines() if "," in line}
    assert offered == expected


def test_the_completion_script_is_what_the_readme_says_to_source():
    done = agentcore(_AGENTCORE_COMPLETE="bash_source")
    assert "_agentcore_completion()" in done.stdout and "complete " in done.stdout


def test_verbose_logs_the_backend_and_the_run_to_stderr():
    quiet = agentcore("run", "react", "Who?", "-b", "scripted", "-t", "search", "-q",
                      "-o", "completions= x\nAction 1: finish[ok]")  # fmt: skip
    loud = agentcore("-v", "run", "react", "Who?", "-b", "scripted", "-t", "search", "-q",
                     "-o", "completions= x\nAction 1: finish[ok]")  # fmt: skip
    assert quiet.stdout.strip() == loud.stdout.strip() == "ok"
    assert "INFO" not in quiet.stderr
    assert "INFO agentcore.agent: backend scripted ready: model scripted" in loud.stderr
    assert "(react) ended finished after 1 step(s)" in loud.stderr
