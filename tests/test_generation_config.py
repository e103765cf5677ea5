import pytest
from pydantic import ValidationError

from agentcore.models import GenerationConfig


def test_defaults_are_greedy():
    config = GenerationConfig()
    assert config.is_greedy
    assert config.max_new_tokens == 256


@pytest.mark.parametrize(
    ("settings", "greedy"),
    [
        ({"temperature": 0.7}, False),
        ({"temperature": 0.7, "top_k": 1}, True),
        ({"temperature": 0.7, "greedy": True}, True),
        ({"temperature": 0.0}, True),
    ],
)
def test_greedy_semantics(settings, greedy):
    assert GenerationConfig(**settings).is_greedy is greedy


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"max_new_tokens": 0}, "max_new_tokens"),
        ({"temperature": -0.1}, "temperature"),
        ({"top_p": 0.0}, "top_p"),
        ({"top_p": 1.5}, "top_p"),
        ({"top_k": 0}, "top_k"),
        ({"seed": -1}, "seed"),
        ({"stop": [""]}, "stop"),
        ({"max_tokens": 5}, "max_tokens"),
    ],
)
def test_out_of_range_values_name_the_field(settings, field):
    with pytest.raises(ValidationError) as info:
        GenerationConfig(**settings)
    assert field in str(info.value)


def test_sampling_requested_with_zero_temperature_is_refused():
    with pytest.raises(ValidationError, match="temperature above 0"):
        GenerationConfig(greedy=False, temperature=0.0)


def test_with_stop_merges_without_duplicates():
    config = GenerationConfig(stop="\nObservation").with_stop("\nQuestion:", "\nObservation")
    assert config.stop == ("\nObservation", "\nQuestion:")
