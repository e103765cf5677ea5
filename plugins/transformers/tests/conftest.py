"""One transformers backend on the fast embedded model, shared by this plugin's tests.

The first load of the GGUF file converts it (about a minute) and caches it as
safetensors under agentcore's cache directory; later sessions load in seconds.
"""

from __future__ import annotations

import pytest

FAST = "qwen2.5-coder-0.5b"


@pytest.fixture(scope="session")
def tf_backend():
    from agentcore_transformers.backend import TransformersBackend

    backend = TransformersBackend(FAST, n_threads=2)
    yield backend
    backend.close()
