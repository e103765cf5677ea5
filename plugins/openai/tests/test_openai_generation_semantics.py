"""GenerationConfig means the same through an OpenAI-compatible server as in-process (issue 3.1).

The shared contract from :mod:`agentcore.testing` — the very tests the in-process llama-cpp
and transformers backends pass — on the real 0.5B model:

* ``openai``: this plugin's client against llama-cpp-python's server, non-streaming;
* ``openai-streamed``: the same through server-sent events (pieces must join to the text);

and the server's greedy text must equal the in-process backend's.

llama.cpp reuses the KV cache of a matching prompt prefix. Logits computed on a
reused prefix differ in the last bits from a fresh evaluation of the whole
prompt, which is enough to change a sampled token (and, rarely, a greedy one):
"same seed, same sample" holds for the same evaluation path. So each call here
starts from a fresh evaluation: the in-process backend is reset, and the server
first gets a one-token request with an unrelated prompt, which evicts the
shared prefix.
"""

from __future__ import annotations

import pytest

from agentcore.models import GenerationConfig
from agentcore.testing import CODE_PROMPT, GenerationContract, greedy

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


class TestOpenAIGeneration(GenerationContract):
    """The shared contract (agentcore.testing) through the server, plain and streamed."""

    @pytest.fixture(params=["openai", "openai-streamed"])
    def gen(self, request, openai_backend):
        streamed = request.param == "openai-streamed"

        def run_over_http(prompt, config, on_token=None):
            openai_backend.complete(EVICT, GenerationConfig(max_new_tokens=1))
            if streamed and on_token is None:
                pieces: list[str] = []
                completion = openai_backend.complete(prompt, config, on_token=pieces.append)
                assert "".join(pieces) == completion.text
                return completion
            return openai_backend.complete(prompt, config, on_token=on_token)

        return run_over_http


def test_server_and_in_process_agree_on_greedy_text(openai_backend, llama_backend):
    openai_backend.complete(EVICT, GenerationConfig(max_new_tokens=1))
    llama_backend.reset()
    over_http = openai_backend.complete(CODE_PROMPT, greedy(16)).text
    in_process = llama_backend.complete(CODE_PROMPT, greedy(16)).text
    assert over_http == in_process
