"""GenerationConfig means the same through an OpenAI-compatible server as in-process (issue 3.1).

The same contract as plugins/transformers/tests/test_transformers_generation_semantics.py,
run against three backends on the real 0.5B model:

* ``openai``: this plugin's client against llama-cpp-python's server, non-streaming;
* ``openai-streamed``: the same through server-sent events (pieces must join to the text);
* ``llama-cpp``: the in-process llama-cpp backend, as the reference.

llama.cpp reuses the KV cache of a matching prompt prefix. Logits computed on a
reused prefix differ in the last bits from a fresh evaluation of the whole
prompt, which is enough to change a sampled token (and, rarely, a greedy one):
"same seed, same sample" holds for the same evaluation path. So each call here
starts from a fresh evaluation: the in-process backend is reset, and the server
first gets a one-token request with an unrelated prompt, which evicts the
shared prefix.
"""

from __future__ import annotations

import re

import pytest

from agentcore.models import GenerationConfig

CODE = "def fibonacci(n):\n"
OPEN = "Here is a list of ten random English words, one per line:\n"
EVICT = "Zebra"

pytestmark = pytest.mark.slow  # a real model behind a real server: seconds per test


@pytest.fixture(scope="module")
def openai_backend(llama_server):
    from agentcore_openai.backend import OpenAIBackend

    return OpenAIBackend(llama_server.model, base_url=llama_server.base_url, context_window=2048)


@pytest.fixture(scope="module")
def llama_backend():
    from agentcore_llama_cpp.backend import LlamaCppBackend

    backend = LlamaCppBackend("qwen2.5-coder-0.5b", n_ctx=2048, n_threads=2)
    yield backend
    backend.close()


@pytest.fixture(params=["openai", "openai-streamed", "llama-cpp"])
def gen(request):
    if request.param == "llama-cpp":
        backend = request.getfixturevalue("llama_backend")

        def run_in_process(prompt, config, on_token=None):
            backend.reset()
            return backend.complete(prompt, config, on_token=on_token)

        return run_in_process

    backend = request.getfixturevalue("openai_backend")
    streamed = request.param == "openai-streamed"

    def run_over_http(prompt, config, on_token=None):
        backend.complete(EVICT, GenerationConfig(max_new_tokens=1))
        if streamed and on_token is None:
            pieces: list[str] = []
            completion = backend.complete(prompt, config, on_token=pieces.append)
            assert "".join(pieces) == completion.text
            return completion
        return backend.complete(prompt, config, on_token=on_token)

    return run_over_http


def greedy(n: int = 12, **extra) -> GenerationConfig:
    return GenerationConfig(max_new_tokens=n, **extra)


def sample(seed: int | None, n: int = 12, **extra) -> GenerationConfig:
    extra.setdefault("temperature", 1.0)
    return GenerationConfig(max_new_tokens=n, greedy=False, seed=seed, **extra)


def test_greedy_is_deterministic(gen):
    first = gen(CODE, greedy())
    second = gen(CODE, greedy())
    assert first.text.strip()
    assert first.text == second.text


def test_top_k_one_is_greedy_even_when_sampling(gen):
    expected = gen(CODE, greedy()).text
    assert gen(CODE, GenerationConfig(max_new_tokens=12, top_k=1, temperature=1.0)).text == expected
    for seed in (1, 2):
        assert gen(CODE, sample(seed, top_k=1, temperature=3.0)).text == expected


def test_top_p_is_judged_on_the_model_distribution_before_temperature(gen):
    # The model's top token holds well over 5% of the mass at every step here, so
    # top_p=0.05 on its own distribution keeps only that token; after temperature=5
    # (nearly flat) it would keep hundreds and the text would be random.
    expected = gen(CODE, greedy()).text
    for seed in (3, 4):
        assert gen(CODE, sample(seed, top_p=0.05, temperature=5.0)).text == expected


def test_same_seed_gives_the_same_sample(gen):
    first = gen(OPEN, sample(7))
    second = gen(OPEN, sample(7))
    assert first.text == second.text


def test_different_seeds_usually_differ(gen):
    texts = {gen(OPEN, sample(seed)).text for seed in (11, 12, 13, 14)}
    assert len(texts) >= 2


def test_max_new_tokens_is_respected(gen):
    completion = gen(CODE, greedy(5))
    assert completion.finish_reason == "length"
    assert 1 <= completion.usage.completion_tokens <= 5


def test_stop_sequence_cuts_output_and_is_not_returned(gen):
    full = gen(CODE, greedy(24))
    words = re.findall(r"[A-Za-z_]+", full.text)
    assert len(words) >= 2, full.text
    stop = words[1]
    cut = gen(CODE, greedy(24, stop=(stop,)))
    assert cut.text == full.text[: full.text.index(stop)]
    assert stop not in cut.text
    assert cut.finish_reason == "stop"
    # Applied during generation: it ended early instead of running to the limit.
    assert cut.usage.completion_tokens < full.usage.completion_tokens


def test_streamed_pieces_join_to_the_text_without_the_stop(gen):
    full = gen(CODE, greedy(24)).text
    start = full.index(re.findall(r"[A-Za-z_]+", full)[1])
    stop = full[start : start + 7]  # likely spans several tokens
    pieces: list[str] = []
    cut = gen(CODE, greedy(24, stop=(stop,)), on_token=pieces.append)
    assert len(pieces) > 1
    assert "".join(pieces) == cut.text == full[: full.index(stop)]


def test_server_and_in_process_agree_on_greedy_text(openai_backend, llama_backend):
    openai_backend.complete(EVICT, GenerationConfig(max_new_tokens=1))
    llama_backend.reset()
    over_http = openai_backend.complete(CODE, greedy(16)).text
    in_process = llama_backend.complete(CODE, greedy(16)).text
    assert over_http == in_process
