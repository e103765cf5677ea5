"""Tests a plugin author would write: the tool's behaviour, and an agent using it."""

import pytest
from agentcore_units.conversions import convert_units


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"value": 26.2, "from_unit": "miles", "to_unit": "km"}, "26.2 miles = 42.1648 km"),
        ({"value": 100, "from_unit": "C", "to_unit": "F"}, "100 C = 212 F"),
        ({"value": 1, "from_unit": "lb", "to_unit": "g"}, "1 lb = 453.592 g"),
    ],
)
def test_conversions(args, expected):
    result = convert_units.invoke(args)
    assert result.ok and result.observation == expected


def test_errors_are_observations_the_model_can_use():
    wrong_dimension = convert_units.invoke({"value": 1, "from_unit": "kg", "to_unit": "km"})
    assert not wrong_dimension.ok and "cannot convert mass" in wrong_dimension.observation
    unknown = convert_units.invoke({"value": 1, "from_unit": "parsec", "to_unit": "km"})
    assert "unknown unit 'parsec'" in unknown.observation
    missing = convert_units.invoke({"value": 1})
    assert missing.error_kind == "invalid_arguments" and "from_unit" in missing.observation
