"""One agent object serves concurrent runs: each run's state is its own, never the agent's.

The scripted backend answers from the prompt alone (which question it holds, which
observation came back), so a run that saw another run's question, observation, tokens or
tool state would finish with an answer that is not exactly its own.
"""

from __future__ import annotations

import random
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from agentcore.chat import ChatAgent
from agentcore.models import RunStatus
from agentcore.react import ReActAgent
from agentcore.tools import ToolContext, tool

THREADS = 16
RUNS_PER_THREAD = 20


def _pause() -> None:
    """A short random sleep, so the threads interleave inside every step."""
    time.sleep(random.uniform(0, 0.002))


@tool(timeout_s=5)
def tag(text: str, ctx: ToolContext) -> str:
    """Tag a text with the run that asked for it."""
    ctx.state["calls"] = ctx.state.get("calls", 0) + 1
    _pause()
    return f"tag({text}) for {ctx.run_id}, call {ctx.state['calls']}"


def _react_responder(prompt: str) -> str:
    """Step 1 tags the question; step 2 finishes with the observation it was given."""
    _pause()
    question = re.findall(r"^Question: (.+)$", prompt, re.MULTILINE)[-1]
    tail = prompt[prompt.rindex(f"Question: {question}") :]
    seen = re.search(r"^Observation 1: (.+)$", tail, re.MULTILINE)
    if seen is None:
        return f" I tag it.\nAction 1: tag[{question}]"
    return f" Done.\nAction 2: finish[{seen.group(1)}]"


def test_one_react_agent_serves_sixteen_threads_of_runs(scripted, pm) -> None:
    agent = ReActAgent(scripted(responder=_react_responder), tools=[tag], plugin_manager=pm)
    barrier = threading.Barrier(THREADS)

    def worker(thread: int) -> list[tuple[str, object, list[str]]]:
        barrier.wait()  # all threads start together
        done = []
        for n in range(RUNS_PER_THREAD):
            question = f"q-{thread}-{n}"
            tokens: list[str] = []
            result = agent.run(question, on_token=tokens.append)
            done.append((question, result, tokens))
        return done

    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = [item for batch in pool.map(worker, range(THREADS)) for item in batch]

    assert len(outcomes) == THREADS * RUNS_PER_THREAD
    run_ids = {result.run_id for _, result, _ in outcomes}
    assert len(run_ids) == len(outcomes)  # every run has its own id
    for question, result, tokens in outcomes:
        assert result.status is RunStatus.FINISHED, (question, result.error)
        assert result.input == question
        # its own question, its own run id, its own tool state (the first call of the run)
        assert result.answer == f"tag({question}) for {result.run_id}, call 1"
        assert [s.action.tool for s in result.steps] == ["tag", "finish"]
        assert result.steps[0].action.arguments == {"text": question}
        assert [s.index for s in result.steps] == [1, 2]
        # the tokens streamed to this run's callback are this run's text, and only that
        streamed = "".join(tokens)
        assert f"tag[{question}]" in streamed
        assert f"finish[tag({question}) for {result.run_id}" in streamed
        assert len(re.findall(r"q-\d+-\d+", streamed)) == 2
        assert result.usage.completion_tokens == sum(
            s.usage.completion_tokens for s in result.steps
        )


def test_stream_cancel_stops_only_its_own_run(scripted, pm) -> None:
    """Cancelling one run of several leaves the others running to their end."""
    release = threading.Event()

    def responder(prompt: str) -> str:
        if "q-cancelled" in prompt:
            release.wait(5)
        return _react_responder(prompt)

    agent = ReActAgent(scripted(responder=responder), tools=[tag], plugin_manager=pm)
    doomed = agent.stream("q-cancelled")
    with ThreadPoolExecutor(5) as pool:
        doomed_result = pool.submit(lambda: doomed.result)
        others = [pool.submit(agent.run, f"q-other-{n}") for n in range(4)]
        finished = [future.result(10) for future in others]
        doomed.cancel()
        release.set()
        cancelled = doomed_result.result(10)
    assert cancelled.status is RunStatus.CANCELLED
    assert [r.status for r in finished] == [RunStatus.FINISHED] * 4
    assert all(r.answer.startswith(f"tag(q-other-{n})") for n, r in enumerate(finished))


def _chat_responder(prompt: str) -> str:
    """Reply with the session's message count, read from the conversation in the prompt."""
    _pause()
    said = re.findall(r"^User: (.+)$", prompt, re.MULTILINE)
    session = said[-1].split(" ")[0]
    mine = [line for line in said if line.startswith(session + " ")]
    return f" Count them.\nAction: respond[{session} has said {len(mine)} things]"


def test_one_chat_agent_keeps_concurrent_sessions_apart(scripted, pm) -> None:
    agent = ChatAgent(scripted(responder=_chat_responder), tools=[tag], plugin_manager=pm)
    sessions = [f"s{n}" for n in range(8)]

    def talk(session: str) -> list[str]:
        return [agent.chat(session, f"{session} message {turn}").answer for turn in range(5)]

    with ThreadPoolExecutor(len(sessions)) as pool:
        replies = dict(zip(sessions, pool.map(talk, sessions), strict=True))

    for session, said in replies.items():
        assert said == [f"{session} has said {turn} things" for turn in range(1, 6)]
        history = agent.history(session)
        users = [e.text for e in history.entries if e.kind == "user"]
        assert users == [f"{session} message {turn}" for turn in range(5)]
