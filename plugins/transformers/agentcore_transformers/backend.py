"""Causal LMs on the CPU through transformers, following GenerationConfig exactly.

Sampling order is agentcore's (and llama.cpp's): top-k, then top-p on the
model's own distribution, then temperature, then a draw. transformers' own
``generate`` would apply temperature first, so this backend clears the model's
sampling defaults and passes its own processors in that order. Stop sequences
are checked after every token inside ``generate`` (a stopping criterion), so a
stop ends generation at once instead of after a runaway completion.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import torch
from transformers import GenerationConfig as HFGenerationConfig
from transformers import (
    LogitsProcessor,
    LogitsProcessorList,
    StoppingCriteria,
    StoppingCriteriaList,
    TemperatureLogitsWarper,
)

from agentcore.models import Completion, GenerationConfig, Message, Timings, Usage
from agentcore.plugin import (
    LLMBackend,
    RunCancelled,
    StopScanner,
    TokenCallback,
    ensure_room,
    validate_options,
)
from agentcore_transformers.loading import find_source, load
from agentcore_transformers.options import TransformersOptions

END_MARKERS = (
    "<|endoftext|>",
    "<|im_end|>",
    "<|eot_id|>",
    "<|eom_id|>",
    "<|end_of_text|>",
    "<end_of_turn>",
    "<|end|>",
)


class TransformersBackend(LLMBackend):
    """A model loaded once, shared by the runs that use this backend object."""

    name = "transformers"
    supports_grammar = False

    def __init__(self, model: str | None = None, **options: Any) -> None:
        """``options``: see :class:`~agentcore_transformers.options.TransformersOptions`."""
        opts = validate_options(
            TransformersOptions, {"model": model, **options}, where="transformers backend"
        )
        if opts.n_threads:
            torch.set_num_threads(opts.n_threads)
        source = find_source(opts.model)
        started = time.perf_counter()
        self._model, self._tokenizer = load(source, opts.dtype, cache=opts.cache)
        self.load_s = time.perf_counter() - started
        self.model_name = source.name
        self.dtype = opts.dtype
        self._eos_ids = self._end_tokens()
        self._clear_sampling_defaults()
        limit = getattr(self._model.config, "max_position_embeddings", None) or 4096
        self.context_window = opts.n_ctx or int(limit)
        self._lock = threading.Lock()

    # -- tokens ------------------------------------------------------------------------------

    def tokenize(self, text: str, *, special: bool = True) -> list[int]:
        """Token ids of ``text``; ``special`` adds the tokens the model expects (e.g. BOS)."""
        return list(self._tokenizer(text, add_special_tokens=special)["input_ids"])

    def count_tokens(self, text: str) -> int:
        return len(self.tokenize(text))

    def special_tokens(self) -> list[str]:
        """The tokenizer's special-token strings, which it matches anywhere in text."""
        return special_token_strings(self._tokenizer)

    # -- generation --------------------------------------------------------------------------

    def complete(
        self,
        prompt: str,
        config: GenerationConfig,
        *,
        on_token: TokenCallback | None = None,
        grammar: str | None = None,
        session: str | None = None,
    ) -> Completion:
        """Continue ``prompt``. ``grammar`` is never passed: ``supports_grammar`` is False."""
        return self._generate(self.tokenize(prompt), config, on_token)

    def chat(
        self,
        messages: Sequence[Message],
        config: GenerationConfig,
        *,
        on_token: TokenCallback | None = None,
        session: str | None = None,
    ) -> Completion:
        """Reply using the tokenizer's chat template (the plain transcript if it has none)."""
        if not getattr(self._tokenizer, "chat_template", None):
            return super().chat(messages, config, on_token=on_token, session=session)
        # Contents are data: their special-token strings are escaped before the template
        # adds its own. The rendered template already holds any BOS text; don't add it twice.
        prompt_ids = self.tokenize(self.render_chat(self.data_messages(messages)), special=False)
        return self._generate(prompt_ids, config, on_token)

    def render_chat(self, messages: Sequence[Message]) -> str:
        """The prompt text the model's chat template makes of ``messages``."""
        return self._tokenizer.apply_chat_template(
            [m.model_dump(exclude_none=True) for m in messages],
            tokenize=False,
            add_generation_prompt=True,
        )

    def _generate(
        self, prompt_ids: list[int], config: GenerationConfig, on_token: TokenCallback | None
    ) -> Completion:
        ensure_room(
            len(prompt_ids),
            config,
            self.context_window,
            "shorten the prompt or lower max_new_tokens",
        )
        watch = _TokenWatch(self._tokenizer, len(prompt_ids), config.stop, self._eos_ids, on_token)
        input_ids = torch.tensor([prompt_ids], dtype=torch.long)
        kwargs = self._sampling(config)
        finish_reason = "stop"
        with self._lock, torch.inference_mode(), _seeded(config):
            watch.started = time.perf_counter()
            try:
                self._model.generate(
                    input_ids=input_ids,
                    attention_mask=torch.ones_like(input_ids),
                    max_new_tokens=config.max_new_tokens,
                    stopping_criteria=StoppingCriteriaList([watch]),
                    **kwargs,
                )
            except KeyboardInterrupt:
                finish_reason = "cancelled"
            except RunCancelled:
                finish_reason = "cancelled"
        ended = time.perf_counter()
        text = watch.finish(emit=finish_reason != "cancelled")
        natural_end = watch.scanner.stopped_by is not None or watch.ended_eos
        if finish_reason != "cancelled" and not natural_end:
            finish_reason = "length" if watch.generated >= config.max_new_tokens else "stop"
        first = watch.first_token_at or ended
        return Completion(
            text=text,
            finish_reason=finish_reason,
            stop_sequence=watch.scanner.stopped_by,
            usage=Usage(
                prompt_tokens=len(prompt_ids),
                prompt_tokens_evaluated=len(prompt_ids),
                completion_tokens=watch.generated,
            ),
            timings=Timings(
                total_s=ended - watch.started,
                prompt_s=first - watch.started,
                generation_s=ended - first,
            ),
            model=self.model_name,
        )

    def _sampling(self, config: GenerationConfig) -> dict[str, Any]:
        """``generate`` arguments: greedy, or our processors in agentcore's order."""
        if config.is_greedy:
            return {"do_sample": False}
        processors = LogitsProcessorList()
        if config.top_k is not None:
            processors.append(_TopK(config.top_k))
        if config.top_p < 1.0:
            processors.append(_TopP(config.top_p))
        if config.temperature != 1.0:
            processors.append(TemperatureLogitsWarper(temperature=config.temperature))
        return {"do_sample": True, "logits_processor": processors}

    # -- set-up helpers ----------------------------------------------------------------------

    def _end_tokens(self) -> set[int]:
        """Tokens that end generation: the configured EOS plus end-of-turn/-text markers.

        A GGUF file records one EOS id, but chat models end turns with other tokens
        too (Qwen: ``<|im_end|>`` and ``<|endoftext|>``). llama.cpp stops at all of
        them; so does this backend, or it would print them and run on.
        """
        ids: set[int] = set()
        for configured in (
            self._model.generation_config.eos_token_id,
            getattr(self._model.config, "eos_token_id", None),
            self._tokenizer.eos_token_id,
        ):
            if isinstance(configured, int):
                ids.add(configured)
            elif configured:
                ids.update(configured)
        vocab = self._tokenizer.get_vocab()
        ids.update(vocab[marker] for marker in END_MARKERS if marker in vocab)
        return ids

    def _clear_sampling_defaults(self) -> None:
        """Replace the model's generation defaults so only agentcore's settings apply.

        A model directory may ship defaults such as ``top_k=20, repetition_penalty=1.1``
        that ``generate`` would silently add to every call.
        """
        eos = sorted(self._eos_ids)
        pad = self._tokenizer.pad_token_id
        self._model.generation_config = HFGenerationConfig(
            eos_token_id=eos or None,
            pad_token_id=pad if pad is not None else (eos[0] if eos else None),
            bos_token_id=self._model.generation_config.bos_token_id,
        )

    def close(self) -> None:
        self._model = None
        self._tokenizer = None


class _TopK(LogitsProcessor):
    """Keep exactly the ``k`` most likely tokens, ties broken as greedy decoding breaks them.

    transformers' ``TopKLogitsWarper`` keeps every token scoring at least the k-th
    score; in bfloat16 two tokens often score the same, so ``top_k=1`` would keep
    both and the draw could leave the greedy path.
    """

    def __init__(self, k: int) -> None:
        self.k = k

    def __call__(self, input_ids: torch.LongTensor, scores: torch.Tensor) -> torch.Tensor:
        keep = _ranked(scores)[..., : min(self.k, scores.size(-1))]
        mask = torch.ones_like(scores, dtype=torch.bool).scatter_(-1, keep, False)
        return scores.masked_fill(mask, -float("inf"))


class _TopP(LogitsProcessor):
    """Keep the fewest most likely tokens whose probability adds up to ``p`` (at least one)."""

    def __init__(self, p: float) -> None:
        self.p = p

    def __call__(self, input_ids: torch.LongTensor, scores: torch.Tensor) -> torch.Tensor:
        order = _ranked(scores)
        probs = torch.softmax(scores.float(), dim=-1).gather(-1, order)
        before = probs.cumsum(dim=-1) - probs  # mass of the tokens ranked above each one
        ranked_drop = before >= self.p
        drop = torch.empty_like(ranked_drop).scatter_(-1, order, ranked_drop)
        return scores.masked_fill(drop, -float("inf"))


def _ranked(scores: torch.Tensor) -> torch.Tensor:
    """Token ids from most to least likely; equal scores in id order, as ``argmax`` picks."""
    return torch.sort(scores.float(), dim=-1, descending=True, stable=True).indices


class _TokenWatch(StoppingCriteria):
    """A stopping criterion that also streams text and finds stop sequences.

    ``generate`` calls it once per new token with all ids so far. The new tokens
    are decoded afresh each time (byte-level BPE text only grows at the end);
    text ending in an incomplete UTF-8 character waits for the next token.
    """

    def __init__(
        self,
        tokenizer: Any,
        prompt_len: int,
        stops: Sequence[str],
        eos_ids: set[int],
        on_token: TokenCallback | None,
    ) -> None:
        self.tokenizer = tokenizer
        self.prompt_len = prompt_len
        self.eos_ids = eos_ids
        self.scanner = StopScanner(stops, on_token)
        self.generated = 0
        self.ended_eos = False
        self.started = 0.0
        self.first_token_at: float | None = None
        self._ids: list[int] = []
        self._fed = 0

    def __call__(self, input_ids: Any, scores: Any = None, **kwargs: Any) -> Any:
        if self.first_token_at is None:
            self.first_token_at = time.perf_counter()
        token = int(input_ids[0, -1])
        if token in self.eos_ids:
            self.ended_eos = True
            return torch.ones(input_ids.shape[0], dtype=torch.bool)
        self.generated += 1
        self._ids.append(token)
        text = self.tokenizer.decode(self._ids, skip_special_tokens=False)
        stop = False
        if not text.endswith("\ufffd"):
            stop = self.scanner.feed(text[self._fed :])
            self._fed = len(text)
        return torch.full((input_ids.shape[0],), stop, dtype=torch.bool)

    def finish(self, *, emit: bool) -> str:
        """The final text; releases held-back text to the callback unless cancelled."""
        if self.scanner.stopped_by is None and self._ids:
            text = self.tokenizer.decode(self._ids, skip_special_tokens=False)
            self.scanner.feed(text[self._fed :])
            self._fed = len(text)
        return self.scanner.finish() if emit else self.scanner.text


def special_token_strings(tokenizer: Any) -> list[str]:
    """Every special token of a transformers tokenizer, named or added (``<|im_start|>``).

    A tokenizer splits these out of any text it is given, so untrusted text must not carry
    them into a prompt.
    """
    found = set(tokenizer.all_special_tokens)
    decoder = getattr(tokenizer, "added_tokens_decoder", {}) or {}
    found.update(added.content for added in decoder.values() if getattr(added, "special", False))
    return sorted(t for t in found if t and t.strip())


@contextmanager
def _seeded(config: GenerationConfig) -> Iterator[None]:
    """Sampling draws from torch's global RNG: fork it and seed it for this call only."""
    if config.is_greedy:
        yield
        return
    seed = config.seed if config.seed is not None else int.from_bytes(os.urandom(4), "little")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield
