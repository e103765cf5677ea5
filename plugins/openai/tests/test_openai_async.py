"""The asyncio client: async runs call the server on the event loop (httpx.AsyncClient).

The same requests, retries, errors and results as the blocking client, and many runs
waiting on the server at once in one loop.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time

import pytest
from agentcore_openai.backend import OpenAIBackend

from agentcore.errors import BackendError
from agentcore.models import GenerationConfig, RunStatus
from agentcore.react import ReActAgent
from agentcore.tools import tool

GREEDY = GenerationConfig(max_new_tokens=8)


def sse(*events: dict) -> list[str]:
    lines = []
    for event in events:
        lines += [f"data: {json.dumps(event)}", ""]
    return [*lines, "data: [DONE]", ""]


def piece(text: str, finish: str | None = None) -> dict:
    return {"choices": [{"index": 0, "text": text, "finish_reason": finish}]}


def test_acomplete_gives_what_complete_gives_streamed_or_not(fake_server):
    fake_server.script["/v1/completions"] = _by_stream(fake_server)
    backend = OpenAIBackend(base_url=fake_server.base_url)
    plain = backend.complete("Capital of France?", GREEDY)
    tokens: list[str] = []
    streamed = asyncio.run(backend.acomplete("Capital of France?", GREEDY, on_token=tokens.append))
    whole = asyncio.run(backend.acomplete("Capital of France?", GREEDY))
    assert plain.text == whole.text == streamed.text == "Paris."
    assert "".join(tokens) == "Paris."
    assert whole.usage == plain.usage
    async_requests = [r for r in fake_server.requests if r["path"] == "/v1/completions"][1:]
    assert [r["body"].get("stream", False) for r in async_requests] == [True, False]


def _by_stream(fake_server):
    Reply = fake_server.Reply

    def reply(request):
        if request["body"].get("stream"):
            return Reply(sse_lines=sse(piece("Par"), piece("is.", "stop")))
        return Reply(body=fake_server.completion_body("Paris."))

    return reply


def test_acomplete_retries_and_reports_like_the_blocking_client(fake_server):
    Reply = fake_server.Reply
    fake_server.script["/v1/completions"] = [
        Reply(status=503, body={"error": {"message": "loading"}}),
        Reply(body=fake_server.completion_body("fine")),
    ]
    backend = OpenAIBackend(base_url=fake_server.base_url, backoff="0.01")
    assert asyncio.run(backend.acomplete("p", GREEDY)).text == "fine"
    assert fake_server.hits("/v1/completions") == 2
    fake_server.script["/v1/completions"] = [Reply(status=400, body={"error": "bad field"})]
    with pytest.raises(BackendError, match=r"HTTP 400.*rejected the request.*bad field"):
        asyncio.run(backend.acomplete("p", GREEDY))
    assert fake_server.hits("/v1/completions") == 3  # a bad request is not retried


def test_acomplete_reports_a_server_that_is_gone(fake_server, unused_url):
    backend = OpenAIBackend(base_url=fake_server.base_url, max_retries="1", backoff="0.01")
    backend._http._port = int(unused_url.rsplit(":", 1)[1].split("/")[0])
    with pytest.raises(BackendError, match=r"cannot reach .* \(tried 2 time\(s\)\)"):
        asyncio.run(backend.acomplete("p", GREEDY))


@tool
def lookup(order: str) -> str:
    """Look an order up."""
    return f"order {order} is late"


class Overlap:
    """Answers each request ``delay_s`` after it arrived, and keeps the arrival times: a
    request that arrived before an earlier one's answer was due overlapped it."""

    def __init__(self, fake_server, delay_s: float) -> None:
        self.fake_server, self.delay_s = fake_server, delay_s
        self.arrivals: list[float] = []

    def __call__(self, request):
        self.arrivals.append(time.monotonic())
        step = int(re.findall(r"Thought (\d+):", request["body"]["prompt"])[-1])
        text = " Look.\nAction 1: lookup[7]" if step == 1 else " Done.\nAction 2: finish[late]"
        Reply = self.fake_server.Reply
        if request["body"].get("stream"):
            return Reply(sse_lines=sse(piece(text, "stop")), delay_s=self.delay_s)
        return Reply(body=self.fake_server.completion_body(text), delay_s=self.delay_s)

    def overlapped(self) -> int:
        """How many requests arrived while an earlier one was still being answered."""
        times = sorted(self.arrivals)
        return sum(b < a + self.delay_s for a, b in itertools.pairwise(times))


def test_concurrent_async_runs_wait_on_the_server_together_on_one_loop(fake_server):
    # the handler runs in the server's threads; holding them shows the requests overlap
    overlap = Overlap(fake_server, 0.2)
    fake_server.script["/v1/completions"] = overlap
    backend = OpenAIBackend(base_url=fake_server.base_url)
    agent = ReActAgent(backend, tools=[lookup], max_steps=3)

    async def main():
        return await asyncio.gather(*(agent.arun(f"Is order 7 late? ({i})") for i in range(8)))

    results = asyncio.run(main())
    assert [r.status for r in results] == [RunStatus.FINISHED] * 8
    assert {r.answer for r in results} == {"late"}
    assert overlap.overlapped() > 0
    assert backend._async_http is not None and backend._async_http._clients  # httpx made them
    headers = [r["headers"] for r in fake_server.requests if r["path"] == "/v1/completions"]
    assert all("agentcore-openai" in h.get("User-Agent", "") for h in headers)


def test_cancelling_an_async_run_cancels_its_request(fake_server):
    slow = Overlap(fake_server, 3.0)
    fake_server.script["/v1/completions"] = slow
    agent = ReActAgent(OpenAIBackend(base_url=fake_server.base_url), tools=[lookup], max_steps=3)

    async def main():
        stream = agent.astream("Is order 7 late?")
        task = asyncio.create_task(stream.result())
        while not slow.arrivals:  # the request is at the server
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return stream, time.monotonic()

    stream, ended = asyncio.run(main())
    assert stream._stream.result.status is RunStatus.CANCELLED
    assert ended < slow.arrivals[0] + slow.delay_s  # it did not wait for the answer


@pytest.mark.slow
def test_an_async_run_on_the_real_server_answers_as_a_blocking_one(llama_server):
    backend = OpenAIBackend(base_url=llama_server.base_url, model=llama_server.model)
    config = GenerationConfig(max_new_tokens=24, temperature=0.0)
    tokens: list[str] = []
    # the server keeps the prompt's KV cache; its first evaluation differs from reuse in the
    # last bits, which greedy decoding can turn into other text: all calls below reuse it
    backend.complete("The capital of France is", config)
    blocking = backend.complete("The capital of France is", config)
    awaited = asyncio.run(backend.acomplete("The capital of France is", config))
    streamed = asyncio.run(
        backend.acomplete("The capital of France is", config, on_token=tokens.append)
    )
    assert blocking.text == awaited.text == streamed.text == "".join(tokens)
    assert blocking.text.strip()
