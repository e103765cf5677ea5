"""Finding and loading a causal LM: a model directory, a GGUF file, or a registry name.

transformers can read GGUF files, but it de-quantises every tensor and rebuilds
the tokenizer from the GGUF vocabulary on each load (about 25 s for the 0.5B
model, more with other work running). So the first load of a GGUF file re-saves
the result as safetensors in agentcore's cache directory
(``<cache>/hf/<model>-<file id>-<dtype>``); later loads read that in ~2 s.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentcore.plugin import (
    FAST_MODEL,
    KNOWN_MODELS,
    BackendError,
    ConfigError,
    cache_dir,
    resolve_model,
    stderr_progress,
)


@dataclass(frozen=True)
class ModelSource:
    """Where the weights come from."""

    name: str
    """What to report as the model name."""
    directory: Path
    """A transformers model directory, or the folder holding ``gguf_file``."""
    gguf_file: str | None = None
    cache_key: str | None = None
    """Stable identity of a GGUF file, naming its safetensors copy in the cache."""


def find_source(model: str | None) -> ModelSource:
    """Turn the ``model`` option into a source; registry GGUF files are verified first."""
    name = model or FAST_MODEL
    path = Path(name).expanduser()
    if name not in KNOWN_MODELS and path.is_dir():
        if not (path / "config.json").is_file():
            raise ConfigError(
                f"transformers backend: {str(path)!r} is a directory without config.json; "
                "give a transformers model directory, a .gguf file or a name from "
                "`agentcore models`"
            )
        return ModelSource(name=path.name, directory=path)
    gguf = resolve_model(name, stderr_progress(f"preparing model {name}"))
    if name in KNOWN_MODELS:
        known = KNOWN_MODELS[name]
        key = f"{known.name}-{known.sha256[:16]}"
        shown = known.name
    else:
        stat = gguf.stat()
        identity = f"{gguf.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode()
        key = f"{gguf.stem}-{hashlib.sha256(identity).hexdigest()[:16]}"
        shown = gguf.name
    return ModelSource(name=shown, directory=gguf.parent, gguf_file=gguf.name, cache_key=key)


def load(source: ModelSource, dtype: str, *, cache: bool) -> tuple[Any, Any]:
    """The model (in eval mode) and its tokenizer, converting a GGUF file once if needed."""
    import torch

    torch_dtype = getattr(torch, dtype)
    if source.gguf_file is None:
        return _load_directory(source.directory, torch_dtype)
    cached = cache_dir() / "hf" / f"{source.cache_key}-{dtype}"
    if cache and (cached / "config.json").is_file() and (cached / "tokenizer.json").is_file():
        return _load_directory(cached, torch_dtype)
    return _convert_gguf(source, torch_dtype, cached if cache else None)


def _load_directory(directory: Path, torch_dtype: Any) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(
            directory, dtype=torch_dtype, local_files_only=True
        )
    except (OSError, ValueError) as exc:
        raise BackendError(f"transformers could not load {directory}: {exc}") from exc
    return model.eval(), tokenizer


def _convert_gguf(source: ModelSource, torch_dtype: Any, target: Path | None) -> tuple[Any, Any]:
    """Load a GGUF file (de-quantised) and, when ``target`` is given, save it as safetensors."""
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    assert source.gguf_file is not None
    started = time.perf_counter()
    _say(
        f"transformers backend: converting {source.gguf_file} for transformers "
        f"(once{'; cached afterwards' if target else ''} — about a minute)…"
    )
    try:
        tokenizer = AutoTokenizer.from_pretrained(source.directory, gguf_file=source.gguf_file)
        model = AutoModelForCausalLM.from_pretrained(
            source.directory,
            gguf_file=source.gguf_file,
            dtype=torch_dtype,
            # No GGUF matmul kernels can be fetched here: unpack to plain dense weights.
            quantization_config=GgufConfig(dequantize=True),
        )
    except (OSError, ValueError, KeyError) as exc:
        raise BackendError(
            f"transformers could not load {source.directory / source.gguf_file}: {exc} "
            "(transformers supports the GGUF files of common architectures such as llama, "
            "qwen2, gemma3)"
        ) from exc
    model = model.eval()
    if target is not None:
        _save(model, tokenizer, target)
        _say(
            f"transformers backend: converted in {time.perf_counter() - started:.0f} s; "
            f"cached at {target}"
        )
    return model, tokenizer


def _save(model: Any, tokenizer: Any, target: Path) -> None:
    """Write the de-quantised model as a plain safetensors directory, atomically."""
    # The weights are dense now; the GGUF "quantizer" left on the model only blocks saving.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    partial = target.with_name(f"{target.name}.partial-{os.getpid()}")
    partial.parent.mkdir(parents=True, exist_ok=True)
    try:
        model.save_pretrained(partial)
        tokenizer.save_pretrained(partial)
        # If another process cached it first, the rename fails; theirs is as good as ours.
        with contextlib.suppress(OSError):
            partial.rename(target)
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def _say(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()
