"""Agents over a chat API: chat-only models, strict servers, the dialect told by the server.

A scriptable loopback server plays a hosted API that has no /completions for its model and
rejects any field outside OpenAI's; the agents (ReAct, PAL's prompt, RAG) must run over
/chat/completions with the transcript as messages, stop sequences sent, and the replies read
as continuations. The same over llama-cpp-python's real server is in the slow tests below.
"""

from __future__ import annotations

import json

import pytest
from agentcore_openai.backend import OpenAIBackend

from agentcore.models import GenerationConfig, RunStatus
from agentcore.plugins import AgentcorePluginManager
from agentcore.react import ReActAgent
from agentcore.tools import tool

OPENAI_FIELDS = {
    "model", "messages", "prompt", "max_tokens", "temperature", "top_p", "seed", "stop",
    "presence_penalty", "frequency_penalty", "stream", "stream_options", "n", "user",
}  # fmt: skip
CHAT_ONLY = {
    "error": {
        "message": "This is a chat model and not supported in the v1/completions endpoint. "
        "Did you mean to use v1/chat/completions?"
    }
}


@tool
def search(entity: str) -> str:
    """Search an encyclopedia."""
    return {"Arthur's Magazine": "Arthur's Magazine (1844–1846) was a literary periodical."}.get(
        entity, f"Could not find {entity}."
    )


def chat_body(text: str) -> dict:
    return {
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 30, "completion_tokens": 9, "total_tokens": 39},
    }  # fmt: skip


@pytest.fixture
def hosted(fake_server):
    """A strict, chat-only hosted API: 400 for any non-OpenAI field, no /completions."""
    Reply = fake_server.Reply
    replies = [
        "Thought 1: I should look it up.\nAction 1: search[Arthur's Magazine]",
        "Thought 2: It started in 1844.\nAction 2: finish[Arthur's Magazine]\nObservation 2: x",
    ]

    def chat(request):
        unknown = set(request["body"]) - OPENAI_FIELDS
        if unknown:
            return Reply(status=400, body={"error": {"message": f"Unrecognized {sorted(unknown)}"}})
        text = replies.pop(0) if len(replies) > 1 else replies[0]
        if request["body"].get("stream"):  # as a hosted API streams: a few deltas, then DONE
            deltas = [text[i : i + 7] for i in range(0, len(text), 7)]
            events = [{"choices": [{"index": 0, "delta": {"content": d}}]} for d in deltas]
            return Reply(sse_lines=sse_lines(events))
        return Reply(body=chat_body(text))

    fake_server.script["/v1/models"] = lambda request: Reply(
        body={"data": [{"id": "hosted-chat", "object": "model", "owned_by": "openai"}]}
    )
    fake_server.script["/v1/completions"] = [Reply(status=404, body=CHAT_ONLY)]
    fake_server.script["/v1/chat/completions"] = chat
    return fake_server


def sse_lines(events: list[dict]) -> list[str]:
    """Server-sent events: each a data line and a blank line, then [DONE]."""
    lines: list[str] = []
    for event in events:
        lines += [f"data: {json.dumps(event)}", ""]
    return [*lines, "data: [DONE]", ""]


def chat_requests(server) -> list[dict]:
    return [r["body"] for r in server.requests if r["path"] == "/v1/chat/completions"]


def test_react_runs_on_a_chat_only_strict_server(hosted):
    backend = OpenAIBackend(base_url=hosted.base_url)
    assert backend.params == "standard"  # not a llama.cpp/vLLM server: OpenAI's fields only
    pm = AgentcorePluginManager(allow=set())
    agent = ReActAgent(backend, tools=[search], plugin_manager=pm, prompt="react/tools")
    result = agent.run("Which magazine was started first, Arthur's Magazine or First for Women?")
    assert result.status is RunStatus.FINISHED, result.error
    assert result.answer == "Arthur's Magazine"
    # the reply repeated the lead ("Thought 1:"); the loop read the same step as from a text model
    assert result.steps[0].thought == "I should look it up."
    assert result.steps[0].observation.startswith("Arthur's Magazine (1844")
    assert hosted.hits("/v1/completions") == 1  # tried once, then chat for the rest of the run
    first, second = chat_requests(hosted)
    assert [m["role"] for m in first["messages"]] == ["system", "user"]
    assert [m["role"] for m in second["messages"]] == ["system", "user", "assistant", "user"]
    assert second["messages"][2]["content"].startswith("Thought 1: I should look it up.")
    assert second["messages"][3]["content"].startswith("Observation 1: Arthur's Magazine (1844")
    assert "\nObservation" in first["stop"] and len(first["stop"]) <= 4
    assert first["temperature"] == 0.0 and "top_k" not in first and "min_p" not in first


def test_api_chat_goes_straight_to_chat_and_a_text_prompt_is_one_user_message(hosted):
    backend = OpenAIBackend(base_url=hosted.base_url, api="chat")
    completion = backend.complete("Q: 2+2?\nA:", GenerationConfig(max_new_tokens=8))
    assert hosted.hits("/v1/completions") == 0
    [body] = chat_requests(hosted)
    assert body["messages"] == [{"role": "user", "content": "Q: 2+2?\nA:"}]
    assert completion.text.startswith("Thought 1:")  # no lead given: the reply as it came


def test_api_completions_does_not_fall_back(hosted):
    backend = OpenAIBackend(base_url=hosted.base_url, api="completions")
    with pytest.raises(Exception, match="HTTP 404"):
        backend.complete("Q: 2+2?\nA:", GenerationConfig(max_new_tokens=8))
    assert chat_requests(hosted) == []


def test_streamed_chat_tokens_do_not_repeat_the_lead(hosted):
    Reply = hosted.Reply
    pieces = ["Thou", "ght 1:", " I look", " it up.\nAction 1: search[x]"]
    events = [{"choices": [{"index": 0, "delta": {"content": p}}]} for p in pieces]
    hosted.script["/v1/chat/completions"] = [Reply(sse_lines=sse_lines(events))]
    backend = OpenAIBackend(base_url=hosted.base_url, api="chat")
    shown: list[str] = []
    from agentcore.models import Message, PromptTurns

    turns = PromptTurns(messages=[Message(role="user", content="q")], lead="Thought 1:")
    completion = backend.complete("q\nThought 1:", GenerationConfig(max_new_tokens=20),
                                  on_token=shown.append, turns=turns)  # fmt: skip
    assert "".join(shown) == completion.text == " I look it up.\nAction 1: search[x]"


@pytest.mark.parametrize(
    ("owner", "dialect"),
    [("llamacpp", "extended"), ("vllm", "extended"), ("me", "extended"), ("openai", "standard")],
)
def test_params_auto_follows_what_the_server_says_it_is(fake_server, owner, dialect):
    fake_server.script["/v1/models"] = lambda request: fake_server.Reply(
        body={"data": [{"id": "m", "object": "model", "owned_by": owner}]}
    )
    assert OpenAIBackend(base_url=fake_server.base_url).params == dialect


@pytest.mark.slow
def test_react_over_chat_on_llama_cpp_pythons_real_server(llama_server):
    """The seed question over /chat/completions on the real fast model (its chat template on
    the server): every step is a parsed action, and the dialect is the server's own."""
    backend = OpenAIBackend(
        llama_server.model, base_url=llama_server.base_url, api="chat", grammar="gbnf"
    )
    assert backend.params == "extended"  # llama-cpp-python's server names itself in /models
    agent = ReActAgent(backend, tools=["search", "lookup"], max_steps=3)
    result = agent.run("Which magazine was started first, Arthur's Magazine or First for Women?")
    assert result.status in (RunStatus.FINISHED, RunStatus.MAX_STEPS), result.error
    acted = [s for s in result.steps if s.action is not None]
    assert acted and all(s.parse_error is None for s in acted)
    assert any(s.action.tool == "search" for s in acted)
    assert result.answer
