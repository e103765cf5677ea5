"""The generation-settings contract every backend must pass, as a reusable pytest class.

``GenerationConfig`` documents what each setting means (temperature 0 or top_k=1 ⇒ greedy;
top-k, then top-p on the model's own distribution, then temperature; a seed repeats a sample;
stop sequences cut during generation and are not returned). This class turns that into tests.
A backend's test suite subclasses it and provides one fixture, ``gen``: a callable
``(prompt, config, on_token=None) -> Completion`` on a real model::

    from agentcore.testing import GenerationContract

    class TestMyBackendGeneration(GenerationContract):
        @pytest.fixture
        def gen(self, my_backend):
            return my_backend.complete

The built-in backends (llama-cpp in-process, transformers, the OpenAI-compatible client
against a llama.cpp server, streamed and not) all run these same tests; a third-party backend
should too. Prompts are chosen so a small model (Qwen2.5-Coder-0.5B) gives the checks
something to bite on; a larger model passes them as well.

Importing this module imports pytest; the core never imports it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from agentcore.models import Completion, GenerationConfig

#: A prompt with a confident continuation (code): greedy text is stable and long enough.
CODE_PROMPT = "def fibonacci(n):\n"
#: A prompt with many plausible continuations: samples with different seeds differ.
OPEN_PROMPT = "Here is a list of ten random English words, one per line:\n"

Generate = Callable[..., Completion]


def greedy(n: int = 12, **extra: Any) -> GenerationConfig:
    """Greedy decoding, ``n`` new tokens at most."""
    return GenerationConfig(max_new_tokens=n, **extra)


def sample(seed: int | None, n: int = 12, **extra: Any) -> GenerationConfig:
    """Random sampling (temperature 1 unless given), ``n`` new tokens at most."""
    extra.setdefault("temperature", 1.0)
    return GenerationConfig(max_new_tokens=n, greedy=False, seed=seed, **extra)


def _second_word(text: str) -> str:
    words = re.findall(r"[A-Za-z_]+", text)
    assert len(words) >= 2, f"need two words to pick a stop sequence from, got {text!r}"
    return words[1]


class GenerationContract:
    """Tests of one backend's generation semantics; subclasses provide the ``gen`` fixture."""

    @pytest.fixture
    def gen(self) -> Generate:  # pragma: no cover - always overridden
        raise NotImplementedError("subclass GenerationContract and define the `gen` fixture")

    def test_greedy_is_deterministic(self, gen: Generate) -> None:
        first = gen(CODE_PROMPT, greedy())
        second = gen(CODE_PROMPT, greedy())
        assert first.text.strip()
        assert first.text == second.text

    def test_top_k_one_is_greedy_even_when_sampling(self, gen: Generate) -> None:
        expected = gen(CODE_PROMPT, greedy()).text
        top1 = GenerationConfig(max_new_tokens=12, top_k=1, temperature=1.0)
        assert top1.is_greedy
        assert gen(CODE_PROMPT, top1).text == expected
        # Forced through the sampler (greedy=False), top_k=1 must still draw the top token.
        for seed in (1, 2):
            assert gen(CODE_PROMPT, sample(seed, top_k=1, temperature=3.0)).text == expected

    def test_top_p_is_judged_on_the_model_distribution_before_temperature(
        self, gen: Generate
    ) -> None:
        # On this prompt the top token holds well over 5% of the mass at every step, so
        # top_p=0.05 keeps only it — if top_p is applied before temperature. Applied after
        # temperature=5 (a nearly flat distribution) it would keep hundreds of tokens.
        expected = gen(CODE_PROMPT, greedy()).text
        for seed in (3, 4):
            assert gen(CODE_PROMPT, sample(seed, top_p=0.05, temperature=5.0)).text == expected

    def test_same_seed_gives_the_same_sample(self, gen: Generate) -> None:
        assert gen(OPEN_PROMPT, sample(7)).text == gen(OPEN_PROMPT, sample(7)).text

    def test_different_seeds_usually_differ(self, gen: Generate) -> None:
        texts = {gen(OPEN_PROMPT, sample(seed)).text for seed in (11, 12, 13, 14)}
        assert len(texts) >= 2

    def test_max_new_tokens_is_respected(self, gen: Generate) -> None:
        completion = gen(CODE_PROMPT, greedy(5))
        assert completion.finish_reason == "length"
        assert 1 <= completion.usage.completion_tokens <= 5

    def test_stop_sequence_cuts_output_and_is_not_returned(self, gen: Generate) -> None:
        full = gen(CODE_PROMPT, greedy(24))
        stop = _second_word(full.text)
        cut = gen(CODE_PROMPT, greedy(24, stop=(stop,)))
        assert cut.text == full.text[: full.text.index(stop)]
        assert stop not in cut.text
        assert cut.finish_reason == "stop"
        # Applied during generation: it ended early instead of running to the limit.
        assert cut.usage.completion_tokens < full.usage.completion_tokens

    def test_streamed_pieces_join_to_the_text_without_the_stop(self, gen: Generate) -> None:
        full = gen(CODE_PROMPT, greedy(24)).text
        start = full.index(_second_word(full))
        stop = full[start : start + 7]  # likely spans several tokens
        pieces: list[str] = []
        cut = gen(CODE_PROMPT, greedy(24, stop=(stop,)), on_token=pieces.append)
        assert len(pieces) > 1
        assert "".join(pieces) == cut.text == full[: full.index(stop)]
        pieces.clear()
        plain = gen(CODE_PROMPT, greedy(8), on_token=pieces.append)
        assert "".join(pieces) == plain.text


# -- terminal safety -----------------------------------------------------------------------------

#: What click.style itself writes (colour, bold, dim, reset): the only escapes a printer may emit.
CLICK_STYLES = re.compile(r"\x1b\[(?:0|1|2|22|3[0-9]|39)m")


def assert_nothing_executes(output: str, raw: Sequence[str] = ()) -> None:
    """Assert terminal output carries no control a terminal would act on.

    ``raw`` names sequences the test put into model or tool text (they must not reach
    the terminal as they are); beyond them, no C0/C1 control other than newline and
    tab, and no tag character, may remain once click's own styles are removed. For CLI
    tests of plugins that print untrusted text (see ``agentcore.untrusted.for_terminal``).
    """
    for sequence in raw:
        assert sequence not in output, repr(sequence)
    assert not any(0xE0000 <= ord(c) <= 0xE007F for c in output), "tag characters"
    rest = CLICK_STYLES.sub("", output)
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", rest), repr(rest)
