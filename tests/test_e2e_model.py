"""End to end on the real embedded models (llama.cpp, offline corpus, the real sandbox).

Slow: they load GGUF models and generate on the CPU. CI runs them (`make test`); skip them
locally with `make test-fast`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from agentcore import PALAgent, ReActAgent
from agentcore.models import RunStatus

pytestmark = pytest.mark.slow

SEED_QUESTION = "Which magazine was started first, Arthur's Magazine or First for Women?"
BAKERY = (
    "The bakers at the Beverly Hills Bakery baked 200 loaves of bread on Monday morning. They "
    "sold 93 loaves in the morning and 39 loaves in the afternoon. A grocery store returned 6 "
    "unsold loaves. How many loaves of bread did they have left?"
)


@pytest.fixture(scope="module")
def fast_backend():
    from agentcore.plugins import AgentcorePluginManager

    pm = AgentcorePluginManager()
    backend = pm.create("backend", "llama-cpp", model="qwen2.5-coder-0.5b", n_threads=2)
    yield backend
    backend.close()


def test_react_answers_the_seed_question_offline(fast_backend):
    agent = ReActAgent(fast_backend, tools=["search", "lookup"], max_steps=6)
    result = agent.run(SEED_QUESTION)
    searched = [
        s.action.arguments.get("entity", "")
        for s in result.steps
        if s.action is not None and s.action.tool == "search"
    ]
    assert any("Arthur" in entity or "First for Women" in entity for entity in searched)
    assert result.status in (RunStatus.FINISHED, RunStatus.MAX_STEPS)
    assert "arthur" in (result.answer or "").lower()
    # KV-prefix reuse: after the first step only the new suffix of each prompt is evaluated
    later = result.steps[1:]
    assert later and all(s.usage.prompt_tokens_evaluated < s.usage.prompt_tokens / 2 for s in later)


def test_pal_solves_the_bakery_problem_in_the_sandbox(fast_backend):
    agent = PALAgent(fast_backend)
    result = agent.run(BAKERY)
    assert result.status is RunStatus.FINISHED, result.error
    assert result.answer == "74"
    assert "def solution" in result.steps[-1].thought


def test_grammar_constrained_actions_are_well_formed(fast_backend):
    agent = ReActAgent(fast_backend, tools=["search", "lookup"], max_steps=3, constrain=True)
    result = agent.run("Who edited Arthur's Magazine?")
    react_steps = [s for s in result.steps if s.kind.value == "react"]
    assert react_steps and all(s.action is not None for s in react_steps)


def test_cli_pal_on_the_default_model_prints_json():
    """The README's PAL example on the default (1.5B) model, through the real CLI."""
    out = subprocess.run(
        [sys.executable, "-m", "agentcore.cli", "run", "pal", BAKERY, "--json"],
        capture_output=True,
        text=True,
        env={**os.environ},
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout)
    assert result["status"] == "finished" and result["answer"] == "74"
    assert result["usage"]["completion_tokens"] > 0
    assert result["model"] == "qwen2.5-coder-1.5b"
