"""GenerationConfig means on the transformers backend what it means everywhere.

The shared contract from :mod:`agentcore.testing` — the same tests the llama-cpp and
OpenAI-compatible backends pass — on the real 0.5B model.
"""

from __future__ import annotations

import pytest

from agentcore.testing import GenerationContract


class TestTransformersGeneration(GenerationContract):
    pytestmark = pytest.mark.slow  # a real model on the CPU: seconds per test

    @pytest.fixture
    def gen(self, tf_backend):
        return tf_backend.complete
