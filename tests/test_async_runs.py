"""The asyncio API: many runs at once on one agent, the event loop free, task cancellation."""

from __future__ import annotations

import asyncio
import re
import threading

import pytest

from agentcore.builtin.scripted import ScriptedBackend
from agentcore.models import RunStatus
from agentcore.plugin import create_provider
from agentcore.react import ReActAgent
from agentcore.tools import tool

STEPS = {
    1: " Look.\nAction 1: search[order 7]\n",
    2: " Again.\nAction 2: search[order 8]\n",
    3: " Done.\nAction 3: finish[both late]\n",
}


@tool
def search(query: str) -> str:
    """Look an order up."""
    return f"{query} is late"


class Overlap:
    """A model that takes ``delay_s`` per call and counts how many calls run at once."""

    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s
        self.now = self.most = 0
        self.lock = threading.Lock()

    def backend(self) -> ScriptedBackend:
        def respond(prompt: str) -> str:
            with self.lock:
                self.now += 1
                self.most = max(self.most, self.now)
            try:
                threading.Event().wait(self.delay_s)
                return STEPS[int(re.findall(r"Thought (\d+):", prompt)[-1])]
            finally:
                with self.lock:
                    self.now -= 1

        return ScriptedBackend(responder=respond)


def test_twenty_concurrent_async_runs_all_finish_and_overlap():
    model = Overlap(0.05)
    agent = ReActAgent(model.backend(), tools=[search], max_steps=5)

    async def main():
        return await asyncio.gather(*(agent.arun(f"Which order is late? ({i})") for i in range(20)))

    results = asyncio.run(main())
    assert [r.status for r in results] == [RunStatus.FINISHED] * 20
    assert {r.answer for r in results} == {"both late"}
    assert len({r.run_id for r in results}) == 20
    assert [r.input for r in results] == [f"Which order is late? ({i})" for i in range(20)]
    assert model.most > 1  # the runs were in their model calls at the same time


def test_the_event_loop_keeps_running_during_a_model_call():
    agent = ReActAgent(Overlap(0.2).backend(), tools=[search], max_steps=5)
    ticks = []

    async def ticker(done: asyncio.Event):
        while not done.is_set():
            ticks.append(1)
            await asyncio.sleep(0.01)

    async def main():
        done = asyncio.Event()
        ticking = asyncio.create_task(ticker(done))
        result = await agent.arun("Which order is late?")
        done.set()
        await ticking
        return result

    assert asyncio.run(main()).status is RunStatus.FINISHED
    assert len(ticks) > 10  # three 0.2 s calls: the loop ticked through them


def test_cancelling_the_task_mid_stream_ends_the_run_cancelled_and_kept(tmp_path):
    store = create_provider("run_store", "duckdb", path=tmp_path / "runs.duckdb")
    agent = ReActAgent(Overlap(0.2).backend(), tools=[search], max_steps=5, checkpoints=store)
    seen = []

    async def consume(stream):
        async for step in stream:
            seen.append(step.index)

    async def main():
        stream = agent.astream("Which order is late?")
        task = asyncio.create_task(consume(stream))
        while not seen:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return stream

    stream = asyncio.run(main())
    result = stream._stream.result
    assert result.status is RunStatus.CANCELLED
    assert [s.index for s in result.steps] == seen == [1]
    assert not agent._active  # the run's thread ended before the cancellation went on
    resumed = asyncio.run(agent.aresume(stream.run_id))
    assert resumed.status is RunStatus.FINISHED and [s.index for s in resumed.steps] == [1, 2, 3]


def test_a_timeout_cancels_the_run():
    agent = ReActAgent(Overlap(0.3).backend(), tools=[search], max_steps=5)

    async def main():
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(agent.arun("Which order is late?"), timeout=0.1)

    asyncio.run(main())
    assert not agent._active


def test_a_bad_input_raises_where_the_run_is_awaited():
    agent = ReActAgent(ScriptedBackend(), tools=[search])
    with pytest.raises(Exception, match="non-empty string"):
        asyncio.run(agent.arun("  "))


def test_async_chat_turns_share_the_conversation():
    from agentcore.chat import ChatAgent

    backend = ScriptedBackend([" Hi.\nAction: respond[Hello!]", " Sure.\nAction: respond[Bye!]"])
    agent = ChatAgent(backend)

    async def main():
        first = await agent.achat("s1", "hello")
        second = await agent.achat("s1", "bye")
        return first, second

    first, second = asyncio.run(main())
    assert (first.answer, second.answer) == ("Hello!", "Bye!")
    assert "hello" in backend.prompts[1]
