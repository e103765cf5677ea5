"""The default model and how a name that resolves to nothing is reported (no model is loaded)."""

from __future__ import annotations

import pytest

from agentcore.errors import ConfigError, NotFoundError
from agentcore.model_registry import (
    DEFAULT_MODEL,
    FAST_MODEL,
    KNOWN_MODELS,
    MODEL_ENV,
    default_model,
    resolve_model,
)


def test_default_is_the_1_5b_model_unless_the_environment_says_otherwise(monkeypatch):
    monkeypatch.delenv(MODEL_ENV, raising=False)
    assert default_model() == DEFAULT_MODEL == "qwen2.5-coder-1.5b"
    monkeypatch.setenv(MODEL_ENV, f" {FAST_MODEL} ")
    assert default_model() == FAST_MODEL
    monkeypatch.setenv(MODEL_ENV, "")
    assert default_model() == DEFAULT_MODEL


def test_a_bad_name_from_the_environment_says_where_it_came_from(monkeypatch):
    monkeypatch.setenv(MODEL_ENV, "gpt-9")
    with pytest.raises(NotFoundError, match=r"unknown model 'gpt-9'.*came from \$AGENTCORE_MODEL"):
        resolve_model(None)
    with pytest.raises(NotFoundError) as raised:
        resolve_model("gpt-9")  # named explicitly: no mention of the variable
    assert MODEL_ENV not in str(raised.value)
    monkeypatch.setenv(MODEL_ENV, "/no/such/model.gguf")
    with pytest.raises(ConfigError, match=r"does not exist"):
        resolve_model(None)


def test_registry_lists_both_qwen_models_with_hashes():
    for name in (DEFAULT_MODEL, FAST_MODEL):
        model = KNOWN_MODELS[name]
        assert len(model.sha256) == 64 and model.quantization and model.distributions
