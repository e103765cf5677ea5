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
from agentcore.parsing import format_answer

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


def test_a_greedy_run_gives_the_same_text_alone_and_after_another(fast_backend):
    """What ran earlier in the process (its KV cache) must not change a greedy run."""
    agent = ReActAgent(fast_backend, tools=["search", "lookup"], max_steps=3)
    fast_backend.reset()
    alone = agent.run(SEED_QUESTION)
    fast_backend.reset()
    agent.run("Were Scott Derrickson and Ed Wood of the same nationality?")
    after = agent.run(SEED_QUESTION)
    assert [s.completion for s in after.steps] == [s.completion for s in alone.steps]
    assert after.answer == alone.answer
    # it did start on the earlier run's cache (the shared instructions), in whole batches
    kept = after.steps[0].usage.prompt_tokens - after.steps[0].usage.prompt_tokens_evaluated
    assert kept > 0 and kept % 512 == 0


def test_react_runs_the_seed_question_offline(fast_backend):
    """The whole loop on a real model: a real search of the offline corpus, an answer, a trace.

    Whether the small model's final answer is right is measured by the benchmarks, not asserted.
    """
    agent = ReActAgent(fast_backend, tools=["search", "lookup"], max_steps=5)
    result = agent.run(SEED_QUESTION)
    searches = [s for s in result.steps if s.action is not None and s.action.tool == "search"]
    assert any(
        "Arthur" in s.action.arguments["entity"]
        or "First for Women" in s.action.arguments["entity"]
        for s in searches
    )
    assert any("1844" in (s.observation or "") or "1989" in (s.observation or "") for s in searches)
    assert result.status in (RunStatus.FINISHED, RunStatus.MAX_STEPS)
    assert result.answer
    # KV-prefix reuse: after the first step only the new suffix of each prompt is evaluated
    later = [s for s in result.steps[1:] if s.usage.prompt_tokens]
    assert later and all(s.usage.prompt_tokens_evaluated < s.usage.prompt_tokens / 2 for s in later)


def test_pal_program_runs_in_the_sandbox(fast_backend):
    """The model's program is extracted and run in the sandbox; its value becomes the answer."""
    agent = PALAgent(fast_backend)
    result = agent.run(BAKERY)
    assert result.status is RunStatus.FINISHED, result.error
    last = result.steps[-1]
    assert "def solution" in last.thought
    assert last.tool_result.ok and last.tool_result.tool == "sandbox"
    value = last.tool_result.data["value"]
    assert isinstance(value, int | float) and result.answer == format_answer(value)


def test_grammar_constrained_actions_are_well_formed(fast_backend):
    agent = ReActAgent(fast_backend, tools=["search", "lookup"], max_steps=3, constrain=True)
    result = agent.run("Who edited Arthur's Magazine?")
    react_steps = [s for s in result.steps if s.kind.value == "react"]
    assert react_steps and all(s.action is not None for s in react_steps)


def test_cli_pal_on_the_default_model_prints_json():
    """The issue's PAL example on the default (1.5B) model, through the real CLI: 74."""
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
