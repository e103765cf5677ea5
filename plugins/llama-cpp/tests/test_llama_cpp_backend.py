"""The llama-cpp backend on the real fast model: settings contract, KV reuse, sessions, grammar."""

from __future__ import annotations

import pytest

from agentcore.errors import BackendError, ConfigError, NotFoundError
from agentcore.grammar import react_step_grammar
from agentcore.models import GenerationConfig
from agentcore.parsing import parse_react_step
from agentcore.testing import GenerationContract
from agentcore.tools import tool

PROMPT = "List three fruits, one per line:\n1."


@pytest.fixture(scope="module")
def backend():
    from agentcore_llama_cpp.backend import LlamaCppBackend

    llm = LlamaCppBackend("qwen2.5-coder-0.5b", n_ctx=2048, n_threads=2)
    yield llm
    llm.close()


class TestLlamaCppGeneration(GenerationContract):
    """The shared generation-settings contract (agentcore.testing), in process.

    Each call starts from an empty KV cache: logits on a reused prefix differ in the last
    bits from a fresh evaluation, which can flip a sampled token. The backend itself
    starts seeded samples fresh for that reason; greedy calls here are reset too so
    every test sees one evaluation path.
    """

    pytestmark = pytest.mark.slow

    @pytest.fixture
    def gen(self, backend):
        def fresh(prompt, config, on_token=None):
            backend.reset()
            return backend.complete(prompt, config, on_token=on_token)

        return fresh


def test_max_new_tokens_counts_exactly(backend):
    result = backend.complete(PROMPT, GenerationConfig(max_new_tokens=5))
    assert result.finish_reason == "length"
    assert result.usage.completion_tokens == 5


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


HEAD = (
    "You answer questions about geography in one short sentence.\n"
    "Question: What is the capital of Italy?\nAnswer: Rome is the capital of Italy.\n"
    "Question: What is the capital of Spain?\nAnswer: Madrid is the capital of Spain.\n"
)


@pytest.fixture(scope="module")
def small_batches():
    """The fast model with 16-token batches, so short prompts span several batches."""
    from agentcore_llama_cpp.backend import LlamaCppBackend

    llm = LlamaCppBackend("qwen2.5-coder-0.5b", n_ctx=1024, n_threads=2, n_batch=16)
    yield llm
    llm.close()


def _two_step_run(backend, question: str, session: str) -> tuple[list[str], list[int]]:
    """A run's two calls (the second extends the first), as a ReAct step would."""
    config = GenerationConfig(max_new_tokens=12, temperature=0.0)
    first = backend.complete(HEAD + f"Question: {question}\nAnswer:", config, session=session)
    extended = HEAD + f"Question: {question}\nAnswer:{first.text}\nQuestion: And its river?\n"
    second = backend.complete(extended + "Answer:", config, session=session)
    kept = [c.usage.prompt_tokens - c.usage.prompt_tokens_evaluated for c in (first, second)]
    return [first.text, second.text], kept


def test_a_greedy_run_repeats_exactly_whatever_ran_before_it(small_batches):
    small_batches.reset()
    alone, _ = _two_step_run(small_batches, "What is the capital of France?", "alone")
    small_batches.reset()
    _two_step_run(small_batches, "What is the capital of Germany?", "before")
    after, kept = _two_step_run(small_batches, "What is the capital of France?", "after")
    assert after == alone
    # the run did start on the earlier run's cache: whole 16-token batches of the shared head
    assert kept[0] > 0 and kept[0] % 16 == 0
    # and within the run the second call reused everything but its new tokens
    assert kept[1] >= len(small_batches.tokenize(HEAD)) - 16


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


def test_an_excluding_grammar_makes_the_model_take_another_action(backend):
    """What ReActAgent(repeats="exclude") relies on: llama.cpp loads the trie grammar and the
    model, steered away from the argument it prefers (and its extensions), writes another."""
    specs = {"search": search.spec}
    prompt = (
        "Question: Where was the director of Amelie born?\nThought 1: I search Amelie.\n"
        "Action 1: search[Amelie]\nObservation 1: Could not find Amelie.\nThought 2:"
    )
    config = GenerationConfig(max_new_tokens=60, stop=("\nObservation",))
    plain = react_step_grammar(list(specs.values()))
    backend.reset()
    first = parse_react_step(backend.complete(prompt, config, grammar=plain).text, specs)
    assert first.action is not None and first.action.tool == "search"
    preferred = first.action.arguments["entity"]
    grammar = react_step_grammar(list(specs.values()), exclude={"search": [preferred, "Amelie"]})
    backend.reset()
    again = backend.complete(prompt, config, grammar=grammar).text
    parsed = parse_react_step(again, specs)
    assert parsed.action is not None, again
    if parsed.action.tool == "search":
        argument = parsed.action.arguments["entity"].lower()
        assert not argument.startswith((preferred.lower(), "amelie")), again


def test_models_loaded_by_several_threads_at_once_leave_standard_output_alone(capfd):
    """llama-cpp-python swaps fds 1 and 2 with /dev/null while it loads; four threads
    loading at once must not leave this process's output pointed at /dev/null."""
    import os
    import threading

    from agentcore_llama_cpp.backend import LlamaCppBackend

    before = [os.fstat(fd)[:2] for fd in (1, 2)]  # (mode, inode) of what fd 1 and 2 are
    loaded, errors = [], []

    def load() -> None:
        try:
            loaded.append(LlamaCppBackend("qwen2.5-coder-0.5b", n_ctx=512, n_threads=1))
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=load) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for llm in loaded:
        llm.close()
    assert errors == [] and len(loaded) == 4
    assert [os.fstat(fd)[:2] for fd in (1, 2)] == before
    print("still here")
    assert "still here" in capfd.readouterr().out


def test_an_exported_kv_state_moves_a_session_to_a_new_model_instance(backend):
    """What a durable run keeps when it stops (``keep_kv``): a new process loads it and
    evaluates only the new tokens, and greedy text goes on exactly as in the first."""
    from agentcore_llama_cpp.backend import LlamaCppBackend

    config = GenerationConfig(max_new_tokens=8, temperature=0.0)
    base = "Question: what is the capital of France?\nThought 1:"
    backend.reset()
    first = backend.complete(base, config, session="moving")
    extended = base + first.text + "\nObservation 1: Paris is the capital.\nThought 2:"
    expected = backend.complete(extended, config, session="moving")
    data = backend.export_session("moving")
    assert data and backend.export_session("never-used") is None

    fresh = LlamaCppBackend("qwen2.5-coder-0.5b", n_ctx=2048, n_threads=2)
    try:
        assert fresh.import_session("moving", data) >= expected.usage.prompt_tokens
        assert fresh.import_session("bad", data[:-10]) == 0  # truncated: refused
        later = extended + expected.text + "\nObservation 2: It is on the Seine.\nThought 3:"
        resumed = fresh.complete(later, config, session="moving")
        backend_again = backend.complete(later, config, session="moving")
    finally:
        fresh.close()
    assert resumed.text == backend_again.text
    new_tokens = resumed.usage.prompt_tokens - expected.usage.prompt_tokens
    assert resumed.usage.prompt_tokens_evaluated <= new_tokens + 10
