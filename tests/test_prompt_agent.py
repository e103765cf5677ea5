"""PromptAgent: one call, the answer read per the prompt's extras (choices, pattern, caps)."""

from __future__ import annotations

import pytest

from agentcore.errors import ConfigError
from agentcore.fewshot import PromptAgent
from agentcore.models import RunStatus
from agentcore.prompts import PromptTemplate

REVIEW = "Arrived broken, but the replacement works well."


def classify(backend, pm, **options):
    return PromptAgent(backend, prompt="classify/sentiment", plugin_manager=pm, **options)


@pytest.mark.parametrize(
    ("completion", "label"),
    [
        (" Mixed", "mixed"),
        (" POSITIVE.", "positive"),
        (' "negative"', "negative"),
        ("mixed", "mixed"),
    ],
)
def test_choices_are_matched_case_insensitively_and_returned_as_written(
    scripted, pm, completion, label
):
    result = classify(scripted(completion), pm, shots=0).run(REVIEW)
    assert result.status is RunStatus.FINISHED and result.answer == label


def test_a_completion_outside_the_choices_is_an_error_that_lists_them(scripted, pm):
    result = classify(scripted(" Mixedness is hard to say"), pm).run(REVIEW)
    assert result.status is RunStatus.ERROR and result.answer is None
    assert "none of: positive, negative, mixed" in result.error
    assert result.steps[0].completion == " Mixedness is hard to say"  # kept in the trace


def test_prompt_caps_new_tokens_and_stops_at_the_line_end(scripted, pm):
    backend = scripted(" negative\nReview: something the model ran on with")
    result = classify(backend, pm).run(REVIEW)
    assert backend.configs[0].max_new_tokens == 8
    assert "\n" in backend.configs[0].stop
    assert result.answer == "negative"


def test_small_context_drops_exemplars_instead_of_failing(scripted, pm):
    """With only the prompt's 8-token cap reserved, a small window still fits some exemplars."""
    roomy = classify(scripted(" mixed"), pm, shots=5).run(REVIEW)
    assert roomy.shots == 5 and not roomy.notes
    backend = scripted(" mixed", context_window=roomy.steps[0].prompt_tokens)
    result = classify(backend, pm, shots=5).run(REVIEW)
    assert result.status is RunStatus.FINISHED
    assert 0 < result.shots < 5
    assert f"dropped {5 - result.shots} of 5 exemplars" in result.notes[0]
    assert backend.count_tokens(backend.prompts[0]) + 8 <= backend.context_window


def test_answer_pattern_reads_chain_of_thought(scripted, pm):
    backend = scripted(" 23 - 20 = 3. 3 + 6 = 9. The answer is 9.\n\nQ: next")
    result = PromptAgent(backend, prompt="cot/math", plugin_manager=pm).run("apples?")
    assert result.answer == "9"


def test_bad_extras_are_clear_errors(scripted, pm):
    template = PromptTemplate(
        name="bad",
        source="test",
        description="",
        instructions="x",
        exemplars=(),
        question="$question",
        extras={"max_new_tokens": "eight"},
    )
    with pytest.raises(ConfigError, match="max_new_tokens must be an integer, got 'eight'"):
        PromptAgent(scripted(), prompt=template, plugin_manager=pm)


def test_run_prompt_without_a_prompt_answers_free_text_directly(scripted, pm):
    """The default prompt is a direct answer (qa/brief), not a math chain of thought."""
    backend = scripted("This review is mixed.\n\nRequest: invented")
    result = PromptAgent(backend, plugin_manager=pm).run("Nice, but pricey. Positive or negative?")
    assert result.answer == "This review is mixed."
    assert backend.prompts[0].endswith("Request: Nice, but pricey. Positive or negative?\nAnswer:")
    assert "word problem" not in backend.prompts[0]
