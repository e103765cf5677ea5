"""In-process GGUF generation with llama-cpp-python, following GenerationConfig exactly.

KV-prefix reuse: llama.cpp keeps the tokens of its context between calls and,
given a prompt, evaluates only what follows the longest common prefix. The
ReAct loop sends each step's prompt as the previous one plus a few lines, so
most of the prompt is never evaluated twice. This backend keeps that working
(same tokenization, BOS once, no reset between calls) and, when several
sessions interleave, saves and restores each session's KV state instead of
letting them evict each other.

Greedy runs repeat exactly, whatever ran before them in the process. llama.cpp's numbers for
a token depend, in the last bits, on the batch it was evaluated in; so a run that started on
another run's cached prefix could, at a near tie, pick another token than the same run alone.
A new session therefore starts only on the *canonical* part of the cache: the positions
evaluated as whole ``n_batch`` chunks counted from position 0 — exactly the chunks the same
prompt would be evaluated in alone — cut to a multiple of ``n_batch``. Within a session every
call reuses the whole common prefix (its history is its own).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import OrderedDict
from typing import Any

from agentcore.models import Completion, GenerationConfig, Message, Timings, ToolRequest, Usage
from agentcore.plugin import (
    KNOWN_MODELS,
    BackendError,
    ConfigError,
    LLMBackend,
    RunCancelled,
    TokenCallback,
    default_model,
    ensure_room,
    function_tool,
    resolve_model,
    stderr_progress,
    template_messages,
    validate_options,
)
from agentcore_llama_cpp.options import LlamaCppOptions

MAX_SAVED_SESSIONS = 4

#: llama-cpp-python silences llama.cpp while it loads a model by pointing the process's file
#: descriptors 1 and 2 at /dev/null and back (``suppress_stdout_stderr``). Two threads loading
#: at once (a server's workers, an eval's threads) interleave those swaps, and the process's
#: standard output can stay pointed at /dev/null for good. Loads take turns.
_LOADING = threading.Lock()


#: The layout of an exported KV state (bump it when it changes: old files are then refused).
KV_FORMAT = 1


class LlamaCppBackend(LLMBackend):
    """A GGUF model loaded once, shared by the runs that use this backend object."""

    name = "llama-cpp"
    supports_grammar = True
    supports_tools = True

    def __init__(self, model: str | None = None, **options: Any) -> None:
        """``options``: see :class:`~agentcore_llama_cpp.options.LlamaCppOptions`."""
        opts = validate_options(
            LlamaCppOptions, {"model": model, **options}, where="llama-cpp backend"
        )
        try:
            import llama_cpp
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise BackendError(
                "llama-cpp-python is not installed; run `make setup` "
                "(or pip install agentcore-llama-cpp)"
            ) from exc
        name = opts.model or default_model()
        path = resolve_model(opts.model, stderr_progress(f"preparing model {name}"))
        threads = opts.n_threads or os.cpu_count() or 2
        self.model_name = name if name in KNOWN_MODELS else path.name
        self.model_path = path
        self._model_sha256 = KNOWN_MODELS[name].sha256 if name in KNOWN_MODELS else None
        self.context_window = opts.n_ctx
        started = time.perf_counter()
        try:
            with _LOADING:
                self._llm = llama_cpp.Llama(
                    model_path=str(path),
                    n_ctx=self.context_window,
                    n_threads=threads,
                    n_threads_batch=threads,
                    n_batch=opts.n_batch,
                    verbose=opts.verbose,
                )
        except ValueError as exc:
            raise BackendError(f"llama.cpp could not load {path}: {exc}") from exc
        self.load_s = time.perf_counter() - started
        self._lock = threading.Lock()
        self._grammars: dict[str, Any] = {}
        self._active_session: str | None = None
        self._saved: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self._canonical = 0  # leading cached positions evaluated in whole aligned chunks
        self._special: list[str] | None = None

    @property
    def model_sha256(self) -> str | None:  # type: ignore[override]
        """The registry's hash for a known model (verified when assembled); a file given by
        path is hashed once, on first use (a durable run's first commit)."""
        if self._model_sha256 is None:
            import hashlib

            digest = hashlib.sha256()
            with open(self.model_path, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
            self._model_sha256 = digest.hexdigest()
        return self._model_sha256

    # -- tokens ------------------------------------------------------------------------------

    def tokenize(self, text: str) -> list[int]:
        return self._llm.tokenize(text.encode("utf-8"), add_bos=True, special=True)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenize(text))

    def special_tokens(self) -> list[str]:
        """The model's control-token strings, which :meth:`tokenize` would parse in text."""
        if self._special is None:
            self._special = control_token_strings(self._llm)
        return self._special

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
        tokens = self.tokenize(prompt)
        ensure_room(
            len(tokens),
            config,
            self.context_window,
            "raise n_ctx (-o n_ctx=8192) or shorten the prompt",
        )
        with self._lock:
            new_session = self._switch_session(session)
            if config.seed is not None and not config.is_greedy:
                # Logits of a reused prefix differ in the last bits from a fresh evaluation
                # (different batch splits); a flat sampling distribution turns that into a
                # different token. A seeded sample is promised to repeat, so it starts fresh.
                self._llm.reset()
                self._canonical = 0
            elif new_session:
                self._keep_canonical_prefix(tokens)
            reused = _common_prefix(self._llm.input_ids[: self._llm.n_tokens].tolist(), tokens)
            # llama.cpp re-evaluates the last prompt token when the whole prompt matches.
            start = reused - 1 if reused == len(tokens) else reused
            self._note_evaluation(start, len(tokens))
            evaluated = max(1, len(tokens) - reused)
            return self._stream(prompt, tokens, evaluated, config, on_token, grammar)

    def _keep_canonical_prefix(self, tokens: list[int]) -> None:
        """Cut the cache to the canonical prefix it shares with ``tokens`` (a new session).

        Kept: whole ``n_batch`` chunks from position 0 that hold ``tokens``' own tokens, and
        never the prompt's last token (it must be evaluated to give the next token's logits).
        """
        chunk = self._llm.n_batch
        cached = self._llm.input_ids[: min(self._llm.n_tokens, self._canonical)].tolist()
        shared = min(_common_prefix(cached, tokens), len(tokens) - 1)
        keep = shared - shared % chunk
        if keep < self._llm.n_tokens:
            self._llm.n_tokens = keep  # llama-cpp-python drops the KV cells past n_tokens
        self._canonical = keep

    def _note_evaluation(self, start: int, prompt_tokens: int) -> None:
        """Track the canonical prefix after evaluating the prompt from position ``start``."""
        chunk = self._llm.n_batch
        if start % chunk == 0 and start <= self._canonical:
            # evaluated in chunks aligned to position 0: every whole chunk is canonical
            self._canonical = prompt_tokens - prompt_tokens % chunk
        else:
            self._canonical = min(self._canonical, start - start % chunk)

    def _stream(
        self,
        prompt: str,
        tokens: list[int],
        evaluated: int,
        config: GenerationConfig,
        on_token: TokenCallback | None,
        grammar: str | None,
    ) -> Completion:
        started = time.perf_counter()
        first_token_at: float | None = None
        pieces: list[str] = []
        finish_reason = "stop"
        chunks = self._llm.create_completion(
            tokens,
            stream=True,
            **self._sampling(config),
            grammar=self._grammar(grammar),
        )
        generated = 0
        try:
            for chunk in chunks:
                choice = chunk["choices"][0]
                text = choice.get("text", "")
                if first_token_at is None:
                    first_token_at = time.perf_counter()
                generated += 1
                if text:
                    pieces.append(text)
                    if on_token is not None:
                        on_token(text)
                if choice.get("finish_reason"):
                    finish_reason = choice["finish_reason"]
        except KeyboardInterrupt:
            finish_reason = "cancelled"
        except RunCancelled:
            finish_reason = "cancelled"
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        ended = time.perf_counter()
        text = "".join(pieces)
        completion_tokens = max(0, self._llm.n_tokens - len(tokens)) + (1 if generated else 0)
        return Completion(
            text=text,
            finish_reason=finish_reason
            if finish_reason in ("stop", "length", "cancelled")
            else "stop",
            usage=Usage(
                prompt_tokens=len(tokens),
                prompt_tokens_evaluated=evaluated,
                completion_tokens=min(completion_tokens, config.max_new_tokens),
            ),
            timings=Timings(
                total_s=ended - started,
                prompt_s=(first_token_at or ended) - started,
                generation_s=ended - (first_token_at or ended),
            ),
            model=self.model_name,
        )

    def chat(
        self,
        messages: list[Message],
        config: GenerationConfig,
        *,
        on_token: TokenCallback | None = None,
        session: str | None = None,
    ) -> Completion:
        """Reply using the model's own chat template (from the GGUF metadata).

        Message contents are data: special-token strings in them are escaped first, so
        only the template's own markers become control tokens.
        """
        prompt = self.render_chat(self.data_messages(messages))
        return self.complete(prompt, config, on_token=on_token, session=session)

    def render_chat(self, messages: list[Message]) -> str:
        """The prompt text the model's chat template makes of ``messages``."""
        formatter = self._formatter()
        if formatter is None:
            return super_render(messages)
        result = formatter(messages=[m.model_dump(exclude_none=True) for m in messages])
        return result.prompt

    def render_tools(self, request: ToolRequest) -> str:
        """The model's own chat template with ``request``'s tools, where the template has a
        Hermes tool format (Qwen2.5's ``<tool_call>``, which :meth:`complete_tools` reads
        and constrains); otherwise the engine's ChatML rendering of that format."""
        formatter = self._formatter()
        template = self._llm.metadata.get("tokenizer.chat_template", "")
        if formatter is None or "<tool_call>" not in template:
            return super().render_tools(request)
        messages = template_messages(self.data_messages(request.messages))
        tools = [function_tool(spec) for spec in request.tools]
        return formatter(messages=messages, tools=tools).prompt

    def _formatter(self) -> Any:
        """llama-cpp-python's renderer of the GGUF's chat template (``None``: it has none)."""
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        template = self._llm.metadata.get("tokenizer.chat_template")
        if not template:
            return None
        eos = self._llm.detokenize([self._llm.token_eos()]).decode("utf-8", "ignore")
        bos = self._llm.detokenize([self._llm.token_bos()]).decode("utf-8", "ignore")
        return Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)

    # -- helpers -----------------------------------------------------------------------------

    def _sampling(self, config: GenerationConfig) -> dict[str, Any]:
        """GenerationConfig → llama-cpp-python arguments, other samplers neutralised."""
        greedy = config.is_greedy
        return {
            "max_tokens": config.max_new_tokens,
            "temperature": 0.0 if greedy else config.temperature,
            "top_k": 1 if greedy else (config.top_k or 0),
            "top_p": 1.0 if greedy else config.top_p,
            "min_p": 0.0,
            "typical_p": 1.0,
            "repeat_penalty": 1.0,
            "frequency_penalty": 0.0,
            "presence_penalty": 0.0,
            "seed": config.seed if config.seed is not None else (None if greedy else _fresh_seed()),
            "stop": list(config.stop) or None,
        }

    def _grammar(self, grammar: str | None) -> Any:
        if grammar is None:
            return None
        compiled = self._grammars.get(grammar)
        if compiled is None:
            from llama_cpp import LlamaGrammar

            try:
                compiled = LlamaGrammar.from_string(grammar, verbose=False)
            except ValueError as exc:
                raise ConfigError(f"invalid GBNF grammar: {exc}") from exc
            self._grammars[grammar] = compiled
        return compiled

    def _switch_session(self, session: str | None) -> bool:
        """Keep one KV state per session so interleaved runs don't evict each other.

        Returns whether ``session`` is new: not the active one and none saved for it.
        """
        if session == self._active_session:
            return False
        if self._active_session is not None and self._llm.n_tokens:
            self._saved[self._active_session] = (self._llm.save_state(), self._canonical)
            self._saved.move_to_end(self._active_session)
            while len(self._saved) > MAX_SAVED_SESSIONS:
                self._saved.popitem(last=False)
        saved = self._saved.pop(session, None) if session is not None else None
        if saved is not None:
            state, self._canonical = saved
            self._llm.load_state(state)
        self._active_session = session
        return saved is None

    # -- a session's KV state, kept with a stopped run --------------------------------------

    def export_session(self, session: str) -> bytes | None:
        """``session``'s KV cache as bytes (``None``: nothing cached for it): a paused or
        cancelled durable run keeps it, so its resume evaluates only the new tokens."""
        with self._lock:
            if session == self._active_session and self._llm.n_tokens:
                state, canonical = self._llm.save_state(), self._canonical
            elif session in self._saved:
                state, canonical = self._saved[session]
            else:
                return None
        import numpy as np

        header = {
            "format": KV_FORMAT, "n_tokens": state.n_tokens, "canonical": canonical,
            "seed": state.seed, "state_size": state.llama_state_size, "n_ctx": self.context_window,
        }  # fmt: skip
        head = json.dumps(header).encode()
        ids = np.asarray(state.input_ids[: state.n_tokens], dtype=np.int32).tobytes()
        return len(head).to_bytes(4, "little") + head + ids + bytes(state.llama_state)

    def import_session(self, session: str, data: bytes) -> int:
        """Load a KV state :meth:`export_session` made (same model, same ``n_ctx``) as
        ``session``'s; the tokens it holds. A state that does not fit is refused (0)."""
        import numpy as np
        from llama_cpp import LlamaState

        try:
            size = int.from_bytes(data[:4], "little")
            header = json.loads(data[4 : 4 + size])
            n_tokens = int(header["n_tokens"])
            ids_end = 4 + size + 4 * n_tokens
            state_bytes = data[ids_end:]
        except (ValueError, KeyError, TypeError):
            return 0
        if (
            header.get("format") != KV_FORMAT
            or header.get("n_ctx") != self.context_window
            or len(state_bytes) != header.get("state_size")
        ):
            return 0
        input_ids = np.zeros(self.context_window, dtype=np.intc)
        input_ids[:n_tokens] = np.frombuffer(data[4 + size : ids_end], dtype=np.int32)
        scores = np.zeros((1, self._llm.n_vocab()), dtype=np.single)
        seed = header["seed"]
        state = LlamaState(input_ids, scores, n_tokens, state_bytes, len(state_bytes), seed)
        with self._lock:
            if session == self._active_session:
                self._active_session = None  # the imported state replaces what is cached
            self._saved[session] = (state, int(header["canonical"]))
        return n_tokens

    def reset(self) -> None:
        """Forget the KV cache (the next call evaluates its whole prompt)."""
        with self._lock:
            self._llm.reset()
            self._saved.clear()
            self._canonical = 0

    def close(self) -> None:
        llm = getattr(self, "_llm", None)
        if llm is not None:
            llm.close()


def control_token_strings(llm: Any) -> list[str]:
    """The text of every control token in ``llm``'s vocabulary (``<|im_start|>``, ...).

    ``tokenize(..., special=True)`` turns these strings into control tokens wherever they
    appear, so untrusted text must not carry them into a prompt. Works on a model loaded
    with ``vocab_only=True``.
    """
    import llama_cpp

    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    found = []
    for token in range(llm.n_vocab()):
        if llama_cpp.llama_vocab_get_attr(vocab, token) & llama_cpp.LLAMA_TOKEN_ATTR_CONTROL:
            text = llm.detokenize([token], special=True).decode("utf-8", "replace")
            if text.strip():
                found.append(text)
    return found


def super_render(messages: list[Message]) -> str:
    lines = [f"{m.role.capitalize()}: {m.content}" for m in messages]
    return "\n".join(lines) + "\nAssistant:"


def _common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _fresh_seed() -> int:
    return int.from_bytes(os.urandom(4), "little")
