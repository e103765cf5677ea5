"""The llama-cpp backend on the real fast model: settings semantics, KV reuse, sessions, grammar."""

from __future__ import annotations

import pytest

from agentcore.errors import BackendError, ConfigError, NotFoundError
from agentcore.grammar import react_step_grammar
from agentcore.models import GenerationConfig
from agentcore.parsing import parse_react_step
from agentcore.tools import tool

PROMPT = "List three fruits, one per line:\n1."


@pytest.fixture(scope="module")
def backend():
    from agentcore_llama_cpp.backend import LlamaCppBackend

    llm = LlamaCppBackend("qwen2.5-coder-0.5b", n_ctx=2048, n_threads=2)
    yield llm
    llm.close()


def test_greedy_is_deterministic_and_top_k_1_equals_greedy(backend):
    greedy = GenerationConfig(max_new_tokens=16)
    first = backend.complete(PROMPT, greedy).text
    backend.reset()
    assert backend.complete(PROMPT, greedy).text == first
    top1 = GenerationConfig(max_new_tokens=16, temperature=1.5, top_k=1)
    assert top1.is_greedy
    assert backend.complete(PROMPT, top1).text == first


def test_same_seed_same_sample_and_seeds_differ(backend):
    def sample(seed: int) -> str:
        config = GenerationConfig(max_new_tokens=12, temperature=1.2, seed=seed)
        return backend.complete("Invent a name for a cat:", config).text

    assert sample(7) == sample(7)
    assert len({sample(s) for s in (1, 2, 3, 4)}) >= 2


def test_max_new_tokens_is_respected(backend):
    result = backend.complete(PROMPT, GenerationConfig(max_new_tokens=5))
    assert result.finish_reason == "length"
    assert result.usage.completion_tokens == 5


def test_stop_sequences_cut_and_are_not_returned(backend):
    free = backend.complete(PROMPT, GenerationConfig(max_new_tokens=24)).text
    assert "\n" in free  # the list continues on a new line without the stop
    stopped = backend.complete(PROMPT, GenerationConfig(max_new_tokens=24, stop=["\n"]))
    assert stopped.finish_reason == "stop"
    assert "\n" not in stopped.text
    assert free.startswith(stopped.text)


def test_streamed_pieces_join_to_the_text(backend):
    pieces: list[str] = []
    result = backend.complete(PROMPT, GenerationConfig(max_new_tokens=10), on_token=pieces.append)
    assert "".join(pieces) == result.text


def test_extending_prompt_evaluates_only_the_new_suffix(backend):
    backend.reset()
    base = "Question: what is the capital of France?\nThought 1:"
    first = backend.complete(base, GenerationConfig(max_new_tokens=8), session="kv")
    assert first.usage.prompt_tokens_evaluated == first.usage.prompt_tokens
    extended = base + first.text + "\nObservation 1: Paris is the capital.\nThought 2:"
    second = backend.complete(extended, GenerationConfig(max_new_tokens=8), session="kv")
    new_tokens = second.usage.prompt_tokens - first.usage.prompt_tokens
    assert second.usage.prompt_tokens_evaluated <= new_tokens + 2


def test_sessions_keep_their_own_cache(backend):
    a = "Session A talks about the history of the Roman Empire in great detail.\n"
    b = "Session B is about baking sourdough bread at home with a starter.\n"
    config = GenerationConfig(max_new_tokens=4)
    backend.complete(a, config, session="A")
    backend.complete(b, config, session="B")
    again = backend.complete(a + "More:", config, session="A")
    assert again.usage.prompt_tokens_evaluated <= 4  # A's state was restored, not recomputed


def test_prompt_too_long_is_a_clear_error(backend):
    with pytest.raises(BackendError, match="exceeds the context window"):
        backend.complete("word " * 3000, GenerationConfig(max_new_tokens=8))


def test_unknown_option_and_model_are_clear_errors():
    from agentcore_llama_cpp.backend import LlamaCppBackend

    with pytest.raises(ConfigError, match="unknown option"):
        LlamaCppBackend("qwen2.5-coder-0.5b", n_gpu=3)
    with pytest.raises(NotFoundError, match="unknown model 'gpt-9'"):
        LlamaCppBackend("gpt-9")
    with pytest.raises(ConfigError, match="does not exist"):
        LlamaCppBackend("/no/such/model.gguf")


@tool
def search(entity: str) -> str:
    """Search."""
    return entity


@tool
def send(to: str, count: int) -> str:
    """Send."""
    return to


def test_grammar_forces_a_well_formed_action(backend):
    specs = {"search": search.spec, "send": send.spec}
    grammar = react_step_grammar(list(specs.values()))
    prompt = "Question: Tell me a joke about cats, as a long story.\nThought 1:"
    config = GenerationConfig(max_new_tokens=80)
    constrained = backend.complete(prompt, config, grammar=grammar).text
    parsed = parse_react_step(constrained, specs)
    assert parsed.error is None, constrained
    assert parsed.action.tool in ("search", "send", "finish")
