"""The HTTP client's own duties: request fields, retries, keys, errors, stream parsing.

Failures a healthy server never produces come from the scriptable loopback
server in conftest.py; the rest from llama-cpp-python's real server.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from agentcore_openai.backend import OpenAIBackend
from agentcore_openai.transport import RetryPolicy, Transport

from agentcore.errors import BackendError, ConfigError, UnsupportedSettingError
from agentcore.models import GenerationConfig, Message
from agentcore.plugins import get_plugin_manager

GREEDY = GenerationConfig(max_new_tokens=8)


def make(server, sleeps: list[float] | None = None, **options) -> OpenAIBackend:
    backend = OpenAIBackend(base_url=server.base_url, **options)
    if sleeps is not None:
        backend._http.retry.sleep = sleeps.append  # record the waits instead of waiting
    return backend


def sse(*events: dict, done: bool = True) -> list[str]:
    lines = [": ping - keep-alive comments are skipped", ""]
    for event in events:
        lines += [f"data: {json.dumps(event)}", ""]
    if done:
        lines += ["data: [DONE]", ""]
    return lines


def piece(text: str, finish: str | None = None) -> dict:
    return {"choices": [{"index": 0, "text": text, "finish_reason": finish}]}


# -- request fields ------------------------------------------------------------------------


def test_extended_params_pin_every_sampler_to_agentcore_meaning(fake_server):
    Reply = fake_server.Reply
    body_of = fake_server.completion_body
    fake_server.script["/v1/completions"] = [Reply(body=body_of("ok"))]
    backend = make(fake_server, params="extended")
    backend.complete("p", GenerationConfig(max_new_tokens=5, temperature=0.7, top_p=0.9, seed=3))
    backend.complete("p", GenerationConfig(max_new_tokens=5, top_k=40, stop=["\n", "END"]))
    sampled, greedy = (r["body"] for r in fake_server.requests if r["path"] == "/v1/completions")
    assert sampled == {
        "prompt": "p",
        "model": "fake-model",
        "max_tokens": 5,
        "temperature": 0.7,
        "top_p": 0.9,
        "top_k": 0,  # no limit, rather than the server's default (40 on llama-cpp-python)
        "seed": 3,
        "min_p": 0.0,
        "repeat_penalty": 1.0,
        "presence_penalty": 0.0,
        "frequency_penalty": 0.0,
    }
    assert greedy["temperature"] == 0.0 and greedy["top_k"] == 1
    assert "seed" not in greedy
    assert greedy["stop"] == ["\n", "END"]


def test_standard_params_send_only_openai_fields_and_refuse_top_k(fake_server):
    Reply = fake_server.Reply
    body_of = fake_server.completion_body
    fake_server.script["/v1/completions"] = [Reply(body=body_of("ok"))]
    backend = make(fake_server, params="standard")
    backend.complete("p", GenerationConfig(max_new_tokens=5, temperature=0.5, stop=list("abcdef")))
    body = fake_server.requests[-1]["body"]
    assert not {"top_k", "min_p", "repeat_penalty"} & set(body)
    assert body["stop"] == list("abcd")  # OpenAI takes at most four; the rest are checked here
    with pytest.raises(UnsupportedSettingError, match="top_k=5"):
        backend.complete("p", GenerationConfig(temperature=0.5, top_k=5))


def test_grammar_is_sent_only_when_enabled(fake_server):
    Reply = fake_server.Reply
    fake_server.script["/v1/completions"] = [Reply(body=fake_server.completion_body("ok"))]
    plain = make(fake_server)
    assert plain.supports_grammar is False
    with pytest.raises(UnsupportedSettingError, match="-o grammar=gbnf"):
        plain.complete("p", GREEDY, grammar='root ::= "x"')
    constrained = make(fake_server, grammar="gbnf")
    assert constrained.supports_grammar is True
    constrained.complete("p", GREEDY, grammar='root ::= "x"')
    assert fake_server.requests[-1]["body"]["grammar"] == 'root ::= "x"'
    constrained.complete("p", GREEDY)
    assert "grammar" not in fake_server.requests[-1]["body"]
    with pytest.raises(ConfigError, match="grammar='json'"):
        make(fake_server, grammar="json")
    with pytest.raises(ConfigError, match="params=extended"):
        make(fake_server, grammar="gbnf", params="standard")


def test_stops_are_enforced_client_side_when_the_server_ignores_them(fake_server):
    Reply = fake_server.Reply
    body_of = fake_server.completion_body
    fake_server.script["/v1/completions"] = [
        Reply(body=body_of("alpha beta END gamma", finish="length")),
        Reply(sse_lines=sse(piece("alpha be"), piece("ta E"), piece("ND gamma"), piece("!"))),
    ]
    backend = make(fake_server, params="standard")
    config = GenerationConfig(max_new_tokens=9, stop=[*"xyzw", "END"])
    plain = backend.complete("p", config)
    assert (plain.text, plain.finish_reason, plain.stop_sequence) == ("alpha beta ", "stop", "END")
    pieces: list[str] = []
    streamed = backend.complete("p", config, on_token=pieces.append)
    assert streamed.text == "".join(pieces) == "alpha beta "
    assert streamed.finish_reason == "stop"


def test_api_key_comes_from_the_option_or_the_environment(fake_server, monkeypatch):
    Reply = fake_server.Reply

    def guarded(request):
        if request["headers"].get("Authorization") != "Bearer sekrit":
            return Reply(status=401, body={"detail": "Invalid API key"})
        return Reply(body=fake_server.MODELS)

    fake_server.script["/v1/models"] = guarded
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("AGENTCORE_OPENAI_API_KEY", raising=False)
    with pytest.raises(BackendError, match=r"HTTP 401.*OPENAI_API_KEY.*Invalid API key"):
        make(fake_server)
    assert fake_server.hits("/v1/models") == 1  # an auth failure is not retried
    monkeypatch.setenv("OPENAI_API_KEY", "sekrit")
    assert make(fake_server).model_name == "fake-model"
    monkeypatch.setenv("AGENTCORE_OPENAI_API_KEY", "wrong")  # the specific variable wins
    with pytest.raises(BackendError, match="401"):
        make(fake_server)
    assert make(fake_server, api_key="sekrit").model_name == "fake-model"


# -- retries -------------------------------------------------------------------------------


def test_retries_on_429_and_5xx_honouring_retry_after(fake_server):
    Reply = fake_server.Reply
    body_of = fake_server.completion_body
    fake_server.script["/v1/completions"] = [
        Reply(status=429, body={"error": {"message": "slow down"}}, headers={"Retry-After": "2"}),
        Reply(status=503, body={"error": {"message": "loading"}}),
        Reply(status=502, body={"error": {"message": "bad gateway"}}),
        Reply(body=body_of("fine")),
    ]
    sleeps: list[float] = []
    backend = make(fake_server, sleeps, backoff="0.5")
    assert backend.complete("p", GREEDY).text == "fine"
    assert fake_server.hits("/v1/completions") == 4
    assert sleeps[0] == 2.0  # the server's Retry-After
    # Exponential backoff with jitter: retry n waits between half and all of 0.5 * 2**n.
    assert 0.5 <= sleeps[1] <= 1.0
    assert 1.0 <= sleeps[2] <= 2.0


def test_gives_up_after_the_retries_with_the_server_message(fake_server):
    Reply = fake_server.Reply
    fake_server.script["/v1/completions"] = [Reply(status=503, body={"error": "overloaded"})]
    sleeps: list[float] = []
    backend = make(fake_server, sleeps, max_retries="2")
    with pytest.raises(BackendError, match=r"HTTP 503.*after the retries.*overloaded"):
        backend.complete("p", GREEDY)
    assert fake_server.hits("/v1/completions") == 3
    assert len(sleeps) == 2


def test_a_bad_request_is_not_retried(fake_server):
    Reply = fake_server.Reply
    fake_server.script["/v1/completions"] = [
        Reply(status=400, body={"error": {"message": "context length exceeded"}})
    ]
    backend = make(fake_server, [])
    with pytest.raises(BackendError, match=r"HTTP 400.*context length exceeded"):
        backend.complete("p", GREEDY)
    assert fake_server.hits("/v1/completions") == 1


def test_a_refused_connection_is_retried_then_reported(unused_url):
    sleeps: list[float] = []
    transport = Transport(
        unused_url,
        api_key=None,
        timeout_s=5,
        connect_timeout_s=2,
        retry=RetryPolicy(max_retries=2, sleep=sleeps.append),
    )
    with pytest.raises(BackendError, match=r"cannot reach .* \(tried 3 time\(s\)\)"):
        transport.get_json("/models")
    assert len(sleeps) == 2


def test_an_unreachable_server_fails_at_creation_with_a_clear_message(unused_url):
    url = unused_url
    with pytest.raises(BackendError, match="cannot reach the OpenAI-compatible server"):
        get_plugin_manager().create(
            "backend", "openai", base_url=url, max_retries="1", backoff="0.01"
        )


def test_a_server_that_does_not_answer_in_time_is_not_retried(fake_server):
    Reply = fake_server.Reply
    body_of = fake_server.completion_body
    fake_server.script["/v1/completions"] = [Reply(body=body_of("late"), delay_s=3)]
    backend = make(fake_server, [], timeout="0.5")
    with pytest.raises(BackendError, match=r"no answer .* within 0\.5 s"):
        backend.complete("p", GREEDY)
    assert fake_server.hits("/v1/completions") == 1


# -- options and set-up --------------------------------------------------------------------


def test_options_are_checked(fake_server):
    with pytest.raises(ConfigError, match="unknown option"):
        make(fake_server, n_gpu_layers="9")
    with pytest.raises(ConfigError, match="params='fancy'"):
        make(fake_server, params="fancy")
    with pytest.raises(BackendError, match="not an http"):
        OpenAIBackend(base_url="ftp://127.0.0.1/v1")


def test_a_base_url_without_v1_is_named_as_the_mistake(fake_server):
    root = fake_server.base_url.removesuffix("/v1")
    with pytest.raises(BackendError, match=rf"lacks /v1.*use -o base_url={root}/v1$"):
        OpenAIBackend(base_url=root)
    # a server with no listing anywhere is not misdiagnosed: the model must be named instead
    del fake_server.script["/v1/models"]
    with pytest.raises(BackendError, match="lists no models; name one with --model"):
        OpenAIBackend(base_url=root)


def test_model_and_context_window_come_from_the_server_listing(fake_server):
    Reply = fake_server.Reply
    fake_server.script["/v1/models"] = lambda request: Reply(
        body={"data": [{"id": "big", "max_model_len": 32768}, {"id": "small"}]}
    )
    assert make(fake_server).model_name == "big"
    assert make(fake_server).context_window == 32768
    assert make(fake_server, model="small").context_window == 4096
    assert make(fake_server, model="small", context_window="2048").context_window == 2048
    with pytest.raises(BackendError, match=r"does not serve model 'huge'.*big, small"):
        make(fake_server, model="huge")


def test_count_tokens_estimates_when_the_server_has_no_tokenizer(fake_server):
    backend = make(fake_server)
    assert backend.count_tokens("x" * 400) == 100
    assert backend._tokenize_route == ""  # probed once, then not asked again
    before = len(fake_server.requests)
    backend.count_tokens("more")
    assert len(fake_server.requests) == before


def test_plugin_module_is_registered_and_light():
    code = (
        "import sys; from agentcore.plugins import get_plugin_manager\n"
        "print('openai' in get_plugin_manager().registry.names('backend'),"
        " 'agentcore_openai.transport' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split()[-2:] == ["True", "False"]


# -- against the real server ---------------------------------------------------------------


@pytest.mark.slow
def test_count_tokens_uses_the_server_tokenizer(llama_server):
    from agentcore_llama_cpp.backend import LlamaCppBackend

    backend = OpenAIBackend(llama_server.model, base_url=llama_server.base_url)
    text = "Thought: I should search for Arthur's Magazine.\nAction: search[Arthur's Magazine]"
    in_process = LlamaCppBackend(str(llama_server.model_path), n_ctx=256, n_threads=1)
    try:
        assert backend.count_tokens(text) == in_process.count_tokens(text)
    finally:
        in_process.close()
    assert backend._tokenize_route == "//extras/tokenize"


@pytest.mark.slow
def test_chat_over_the_real_server(llama_server):
    backend = get_plugin_manager().create(
        "backend", "openai", base_url=llama_server.base_url, model=llama_server.model
    )
    messages = [
        Message(role="system", content="You answer with one word."),
        Message(role="user", content="What is the capital of France?"),
    ]
    plain = backend.chat(messages, GenerationConfig(max_new_tokens=20))
    pieces: list[str] = []
    streamed = backend.chat(messages, GenerationConfig(max_new_tokens=20), on_token=pieces.append)
    assert "Paris" in plain.text
    assert streamed.text == "".join(pieces) == plain.text
    assert plain.finish_reason == streamed.finish_reason == "stop"
    assert plain.usage.prompt_tokens > 10 and 0 < plain.usage.completion_tokens <= 20


@pytest.mark.slow
def test_the_real_server_applies_the_react_grammar(llama_server):
    """The prompt invites a story; under the grammar the reply is one thought and one action."""
    from agentcore.grammar import react_step_grammar
    from agentcore.parsing import parse_react_step
    from agentcore.tools import tool

    @tool
    def search(entity: str) -> str:
        """Search."""
        return entity

    specs = {"search": search.spec}
    backend = OpenAIBackend(llama_server.model, base_url=llama_server.base_url, grammar="gbnf")
    prompt = "Question: Tell me a joke about cats, as a long story.\nThought 1:"
    config = GenerationConfig(max_new_tokens=80)
    text = backend.complete(prompt, config, grammar=react_step_grammar(list(specs.values()))).text
    parsed = parse_react_step(text, specs)
    assert parsed.error is None, text
    assert parsed.action.tool in ("search", "finish")


@pytest.mark.slow
def test_real_server_errors_are_clear(llama_server):
    with pytest.raises(BackendError, match=r"does not serve model 'gpt-4'.*qwen2\.5-coder-0\.5b"):
        OpenAIBackend("gpt-4", base_url=llama_server.base_url)
    root = re.sub(r"/v1$", "", llama_server.base_url)
    with pytest.raises(BackendError, match=rf"lacks /v1.*use -o base_url={root}/v1"):
        OpenAIBackend(llama_server.model, base_url=root)  # forgot the /v1
