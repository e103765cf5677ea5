"""Tests a plugin author would write: the tool's behaviour, and an agent using it."""

import pytest
from agentcore_units.conversions import convert_units

from agentcore import ReActAgent
from agentcore.builtin.scripted import ScriptedBackend


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


def test_an_agent_calls_the_tool_and_answers_from_its_observation():
    """The tool inside an agent's loop: the scripted backend (a test tool, not a model) plays
    the model's part, so what is checked is the plugin — its schema parsed from the model's
    action, its result fed back as the observation the next step sees."""
    backend = ScriptedBackend(
        [
            ' Convert it.\nAction 1: convert_units[{"value": 26.2, "from_unit": "miles",'
            ' "to_unit": "km"}]',
            " The tool says 42.1648 km.\nAction 2: finish[42.1648 km]",
        ]
    )
    agent = ReActAgent(backend, tools=[convert_units], prompt="react/tools")
    result = agent.run("How many kilometres is 26.2 miles?")
    assert result.status == "finished", result.error
    assert result.answer == "42.1648 km"
    arguments = {"value": 26.2, "from_unit": "miles", "to_unit": "km"}
    assert result.steps[0].action.arguments == arguments
    assert result.steps[0].observation == "26.2 miles = 42.1648 km"
    assert "Observation 1: 26.2 miles = 42.1648 km" in backend.prompts[1]
    assert "- convert_units[" in backend.prompts[0]  # the model is told the tool and its schema
