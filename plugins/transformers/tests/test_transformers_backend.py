"""The transformers backend: loading, chat template, usage, errors, and staying light."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from agentcore.errors import BackendError, ConfigError
from agentcore.models import GenerationConfig, Message
from agentcore.plugins import get_plugin_manager

GREEDY = GenerationConfig(max_new_tokens=10)


def test_plugin_registers_the_backend_without_importing_torch():
    code = (
        "import json, sys\n"
        "from agentcore.plugins import get_plugin_manager\n"
        "names = get_plugin_manager().registry.names('backend')\n"
        "print(json.dumps([names, [m for m in ('torch', 'transformers') if m in sys.modules]]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    names, heavy = json.loads(out.stdout.strip().splitlines()[-1])
    assert "transformers" in names
    assert heavy == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"n_gpu_layers": "3"}, "unknown option n_gpu_layers (known: model, dtype"),
        ({"dtype": "int8"}, "dtype='int8': input should be 'bfloat16'"),
    ],
)
def test_bad_options_are_refused(options, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        get_plugin_manager().create("backend", "transformers", **options)


def test_a_directory_that_is_not_a_model_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"without config\.json"):
        get_plugin_manager().create("backend", "transformers", model=str(tmp_path))


@pytest.mark.slow
def test_usage_timings_and_model_name(tf_backend):
    completion = tf_backend.complete("def add(a, b):\n", GREEDY)
    prompt_tokens = tf_backend.count_tokens("def add(a, b):\n")
    assert completion.usage.prompt_tokens == prompt_tokens > 0
    assert completion.usage.prompt_tokens_evaluated == prompt_tokens
    assert completion.usage.completion_tokens == 10
    assert completion.model == "qwen2.5-coder-0.5b"
    assert completion.timings.total_s > 0
    assert completion.timings.prompt_s is not None and completion.timings.generation_s is not None


@pytest.mark.slow
def test_chat_uses_the_model_template_and_ends_at_end_of_turn(tf_backend):
    messages = [
        Message(role="system", content="You answer with one word."),
        Message(role="user", content="What is the capital of France?"),
    ]
    rendered = tf_backend.render_chat(messages)
    assert "<|im_start|>user\nWhat is the capital of France?<|im_end|>" in rendered
    assert rendered.endswith("<|im_start|>assistant\n")
    reply = tf_backend.chat(messages, GenerationConfig(max_new_tokens=20))
    assert "Paris" in reply.text
    assert reply.finish_reason == "stop"  # the end-of-turn token, not the length limit
    assert "<|im_end|>" not in reply.text


@pytest.mark.slow
def test_a_prompt_longer_than_the_context_is_refused(tf_backend):
    with pytest.raises(BackendError, match="exceeds the context window"):
        tf_backend.complete("x", GenerationConfig(max_new_tokens=tf_backend.context_window))


@pytest.mark.slow
def test_raising_from_on_token_cancels(tf_backend):
    seen: list[str] = []

    def stop_after_two(piece: str) -> None:
        seen.append(piece)
        if len(seen) == 2:
            raise KeyboardInterrupt

    completion = tf_backend.complete("def add(a, b):\n", GREEDY, on_token=stop_after_two)
    assert completion.finish_reason == "cancelled"
    assert completion.usage.completion_tokens < 10


@pytest.mark.slow
def test_the_safetensors_cache_loads_as_a_model_directory(tf_backend):
    from agentcore.model_registry import cache_dir

    cached = sorted((cache_dir() / "hf").glob("qwen2.5-coder-0.5b-*-bfloat16"))
    assert cached, "the GGUF conversion should have been cached"
    assert (cached[0] / "model.safetensors").is_file()
    reloaded = get_plugin_manager().create("backend", "transformers", model=str(cached[0]))
    try:
        assert reloaded.model_name == cached[0].name
        prompt = "def add(a, b):\n"
        assert reloaded.complete(prompt, GREEDY).text == tf_backend.complete(prompt, GREEDY).text
    finally:
        reloaded.close()
