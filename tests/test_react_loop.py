"""The ReAct loop's own logic, driven by the scripted backend (a test tool, not a model)."""

import threading
from pathlib import Path

from agentcore.hookspecs import hookimpl
from agentcore.models import RunStatus, StepKind
from agentcore.react import ReActAgent
from agentcore.tools import tool

QUESTION = "Which magazine was started first, Arthur's Magazine or First for Women?"


def make_agent(backend, tools, pm, **kwargs):
    return ReActAgent(backend, tools=tools, plugin_manager=pm, **kwargs)


def run_noting_retries(agent):
    """The run's result and each (step, reason) it was told a step is being redone for."""
    retries = []
    result = agent.run(QUESTION, on_retry=lambda index, reason: retries.append((index, reason)))
    return result, retries


def test_finishes_with_answer_and_complete_trace(scripted, encyclopedia_tools, pm):
    backend = scripted(
        " I need both dates.\nAction 1: search[Arthur's Magazine]\nObservation 1: invented",
        " Now the other one.\nAction 2: search[First for Women]",
        " 1844 is before 1989.\nAction 3: finish[Arthur's Magazine]\nQuestion: next?",
    )
    result = make_agent(backend, encyclopedia_tools, pm).run(QUESTION)
    assert result.status is RunStatus.FINISHED
    assert result.answer == "Arthur's Magazine"
    assert [s.action.tool for s in result.steps] == ["search", "search", "finish"]
    assert result.steps[0].observation.startswith("Arthur's Magazine (1844")
    assert result.usage.completion_tokens == sum(s.usage.completion_tokens for s in result.steps)
    # the invented observation was cut by the stop sequence and never reached the next prompt
    assert "invented" not in backend.prompts[1]
    assert "Observation 1: Arthur's Magazine (1844–1846)" in backend.prompts[1]


def test_each_prompt_extends_the_previous_one_exactly(scripted, encyclopedia_tools, pm):
    backend = scripted(
        " a\nAction 1: search[Arthur's Magazine]",
        " b\nAction 2: search[First for Women]",
        " c\nAction 3: finish[Arthur's Magazine]",
    )
    make_agent(backend, encyclopedia_tools, pm).run(QUESTION)
    for earlier, later in zip(backend.prompts, backend.prompts[1:], strict=False):
        assert later.startswith(earlier)


def test_instructions_list_tools_and_step_budget(scripted, encyclopedia_tools, pm):
    backend = scripted(" done\nAction 1: finish[x]")
    make_agent(backend, encyclopedia_tools, pm, max_steps=4).run(QUESTION)
    prompt = backend.prompts[0]
    assert "- search[entity]: Search a tiny encyclopedia." in prompt
    assert "- lookup[keyword]" in prompt
    assert "at most 4 steps" in prompt
    assert prompt.endswith(f"Question: {QUESTION}\nThought 1:")


def test_malformed_action_becomes_an_observation_and_the_run_continues(
    scripted, encyclopedia_tools, pm
):
    backend = scripted(
        " I will just think without acting",
        " ok\nAction 2: google[Arthur's Magazine]",
        " fine\nAction 3: finish[Arthur's Magazine]",
    )
    result = make_agent(backend, encyclopedia_tools, pm).run(QUESTION)
    assert result.status is RunStatus.FINISHED
    assert "Invalid format" in result.steps[0].observation
    assert result.steps[0].parse_error
    assert "Unknown action 'google'" in result.steps[1].observation
    assert "Observation 2: Unknown action 'google'" in backend.prompts[2]


def test_repeated_action_is_not_run_again(scripted, encyclopedia_tools, pm):
    backend = scripted(
        " a\nAction 1: search[Arthur's Magazine]",
        " a again\nAction 2: search[Arthur's Magazine]",
        " done\nAction 3: finish[Arthur's Magazine]",
    )
    agent = make_agent(backend, encyclopedia_tools, pm)
    stream = agent.stream(QUESTION)
    steps = list(stream)
    assert "You already did search[Arthur's Magazine] at step 1" in steps[1].observation
    assert steps[1].tool_result is None
    assert stream.result.status is RunStatus.FINISHED


def test_a_repeated_action_is_generated_again_excluding_the_actions_taken(
    scripted, encyclopedia_tools, pm
):
    from agentcore.gbnf import accepts

    backend = scripted(
        " a\nAction 1: search[Arthur's Magazine]",
        " a again\nAction 2: search[Arthur's Magazine]",
        " the other one\nAction 2: search[First for Women]",
        " done\nAction 3: finish[Arthur's Magazine]",
        supports_grammar=True,
    )
    result, retries = run_noting_retries(make_agent(backend, encyclopedia_tools, pm))
    reason = "search[Arthur's Magazine] was done already; generating a different action"
    assert retries == [(2, reason)]
    excluding = backend.grammars[2]
    assert not accepts(excluding, " b\nAction 2: search[Arthur's Magazine]")
    assert not accepts(excluding, " b\nAction 2: search[arthur's magazine (1844)]")
    assert accepts(excluding, " b\nAction 2: search[First for Women]")
    assert backend.prompts[2] == backend.prompts[1]  # the same step, asked again
    second = result.steps[1]
    assert second.action.raw == "search[First for Women]" and second.tool_result.ok
    assert second.repeated_from == " a again\nAction 2: search[Arthur's Magazine]"
    assert second.usage.completion_tokens == 6 + 8  # both attempts are accounted for
    assert [s.action.tool for s in result.steps] == ["search", "search", "finish"]
    assert result.status is RunStatus.FINISHED


def test_a_repeat_that_comes_back_anyway_gets_the_note(scripted, encyclopedia_tools, pm):
    backend = scripted(
        " a\nAction 1: search[Arthur's Magazine]",
        " a again\nAction 2: search[Arthur's Magazine]",
        " still\nAction 2: search[Arthur's Magazine]",  # a backend that ignores grammars
        " done\nAction 3: finish[x]",
        supports_grammar=True,
    )
    result = make_agent(backend, encyclopedia_tools, pm).run(QUESTION)
    second = result.steps[1]
    assert "You already did search[Arthur's Magazine] at step 1" in second.observation
    assert second.repeated_from is None and second.tool_result is None
    assert second.usage.completion_tokens == 6 + 5


def test_repeats_note_keeps_the_papers_loop(scripted, encyclopedia_tools, pm):
    backend = scripted(
        " a\nAction 1: search[Arthur's Magazine]",
        " a again\nAction 2: search[Arthur's Magazine]",
        " done\nAction 3: finish[x]",
        supports_grammar=True,
    )
    result = make_agent(backend, encyclopedia_tools, pm, repeats="note").run(QUESTION)
    assert backend.grammars == [None, None, None]
    assert "You already did" in result.steps[1].observation


def test_repeats_must_be_a_known_policy(scripted, encyclopedia_tools, pm):
    import pytest

    from agentcore.errors import ConfigError

    with pytest.raises(ConfigError, match="repeats must be 'exclude' or 'note', got 'skip'"):
        make_agent(scripted(), encyclopedia_tools, pm, repeats="skip")


def test_budget_exhausted_asks_once_for_best_answer(scripted, encyclopedia_tools, pm):
    backend = scripted(
        " a\nAction 1: search[Arthur's Magazine]",
        " b\nAction 2: lookup[founded]",
        "Arthur's Magazine]",
    )
    result = make_agent(backend, encyclopedia_tools, pm, max_steps=2).run(QUESTION)
    assert result.status is RunStatus.MAX_STEPS
    assert result.answer == "Arthur's Magazine"
    assert result.steps[-1].kind is StepKind.FINAL
    assert backend.prompts[-1].endswith("Action 3: finish[")
    assert len(backend.prompts) == 3


def test_empty_finish_is_rejected(scripted, encyclopedia_tools, pm):
    backend = scripted(" x\nAction 1: finish[]", " y\nAction 2: finish[1844]")
    result = make_agent(backend, encyclopedia_tools, pm).run(QUESTION)
    assert result.answer == "1844"
    assert "finish needs the answer" in result.steps[0].observation


def test_backend_failure_ends_with_error_status_and_trace(scripted, encyclopedia_tools, pm):
    backend = scripted(" a\nAction 1: search[Arthur's Magazine]")  # then runs out
    result = make_agent(backend, encyclopedia_tools, pm).run(QUESTION)
    assert result.status is RunStatus.ERROR
    assert "no completion left for call 2" in result.error
    assert len(result.steps) == 1 and result.steps[0].observation


def test_cancel_during_generation_ends_cancelled_with_trace(scripted, encyclopedia_tools, pm):
    holder = {}

    def responder(prompt):
        if len(backend.prompts) == 2:
            holder["agent"].cancel()
        return " a\nAction 1: search[Arthur's Magazine]"

    backend = scripted(responder=responder)
    agent = make_agent(backend, encyclopedia_tools, pm)
    holder["agent"] = agent
    result = agent.run(QUESTION)
    assert result.status is RunStatus.CANCELLED
    assert len(result.steps) == 1


def test_keyboard_interrupt_ends_cancelled(scripted, encyclopedia_tools, pm):
    def responder(prompt):
        raise KeyboardInterrupt

    result = make_agent(scripted(responder=responder), encyclopedia_tools, pm).run(QUESTION)
    assert result.status is RunStatus.CANCELLED
    assert result.error == "cancelled by the user"


def test_tool_state_is_per_run(scripted, encyclopedia_tools, pm):
    backend = scripted(
        " a\nAction 1: search[Arthur's Magazine]",
        " b\nAction 2: finish[x]",
        " a\nAction 1: search[First for Women]",
        " b\nAction 2: finish[y]",
    )
    agent = make_agent(backend, encyclopedia_tools, pm)
    assert agent.run("q1").answer == "x"
    assert agent.run("q2").answer == "y"


def test_events_reach_plugins(scripted, encyclopedia_tools, pm):
    seen = []

    class Recorder:
        @hookimpl
        def on_run_start(self, run):
            seen.append(("start", run.agent, tuple(run.tools)))

        @hookimpl
        def before_llm_call(self, run_id, step_index, prompt, config):
            seen.append(("before", step_index))

        @hookimpl
        def after_llm_call(self, run_id, step_index, completion):
            seen.append(("after", step_index))

        @hookimpl
        def on_step(self, run_id, step):
            seen.append(("step", step.index))

        @hookimpl
        def on_tool_error(self, run_id, step_index, tool, error_kind, message):
            seen.append(("tool_error", tool, error_kind))

        @hookimpl
        def on_run_end(self, result):
            seen.append(("end", result.status.value))

    class Broken:
        @hookimpl
        def on_step(self, run_id, step):
            raise RuntimeError("storage is down")

    pm.register(Recorder(), name="recorder")
    pm.register(Broken(), name="broken")

    @tool
    def explode(text: str) -> str:
        """Always fails."""
        raise RuntimeError("boom")

    backend = scripted(" a\nAction 1: explode[now]", " b\nAction 2: finish[x]")
    result = make_agent(backend, [*encyclopedia_tools, explode], pm).run(QUESTION)
    assert result.status is RunStatus.FINISHED  # a failing event hook never breaks the run
    assert seen == [
        ("start", "react", ("search", "lookup", "explode")),
        ("before", 1),
        ("after", 1),
        ("tool_error", "explode", "exception"),
        ("step", 1),
        ("before", 2),
        ("after", 2),
        ("step", 2),
        ("end", "finished"),
    ]
    assert any(f.name == "broken" and "storage is down" in f.error for f in pm.failures)


def test_streaming_yields_steps_as_they_complete(scripted, encyclopedia_tools, pm):
    release = threading.Event()
    order = []

    def responder(prompt):
        order.append("llm")
        if len(order) == 1:
            return " a\nAction 1: search[Arthur's Magazine]"
        return " b\nAction 2: finish[x]"

    stream = make_agent(scripted(responder=responder), encyclopedia_tools, pm).stream(QUESTION)
    iterator = iter(stream)
    first = next(iterator)
    order.append("consumer")
    assert first.index == 1 and order == ["llm", "consumer"]
    release.set()
    assert [s.index for s in iterator] == [2]
    assert stream.result.answer == "x"


def test_tokens_stream_to_the_callback(scripted, encyclopedia_tools, pm):
    pieces = []
    backend = scripted(" done now\nAction 1: finish[x]")
    make_agent(backend, encyclopedia_tools, pm).run(QUESTION, on_token=pieces.append)
    assert "".join(pieces) == " done now\nAction 1: finish[x]"


def test_malformed_step_is_repaired_under_the_grammar(scripted, encyclopedia_tools, pm):
    backend = scripted(
        " I copy the observation instead of acting",
        " I search.\nAction 1: search[Arthur's Magazine]",
        " done\nAction 2: finish[Arthur's Magazine]",
        supports_grammar=True,
    )
    result, retries = run_noting_retries(make_agent(backend, encyclopedia_tools, pm))
    assert retries == [(1, retries[0][1])] and "grammar" in retries[0][1]
    assert backend.grammars[0] is None  # unconstrained first
    assert backend.grammars[1] is not None and "search-call" in backend.grammars[1]
    assert backend.grammars[2] is None  # the next step is unconstrained again
    first = result.steps[0]
    assert first.repaired_from == " I copy the observation instead of acting"
    assert first.action.tool == "search" and first.parse_error is None
    assert first.usage.completion_tokens == 7 + 6  # both attempts are accounted for
    assert result.answer == "Arthur's Magazine"


def test_constrain_true_and_false(scripted, encyclopedia_tools, pm):
    always = scripted(" a\nAction 1: finish[x]", supports_grammar=True)
    make_agent(always, encyclopedia_tools, pm, constrain=True).run(QUESTION)
    assert always.grammars[0] is not None
    never = scripted(" no action here", " b\nAction 2: finish[x]", supports_grammar=True)
    result = make_agent(never, encyclopedia_tools, pm, constrain=False).run(QUESTION)
    assert never.grammars == [None, None]
    assert result.steps[0].parse_error is not None


def test_a_seeded_sampling_run_uses_one_seed_per_step_and_repeats(scripted, encyclopedia_tools, pm):
    steps = [
        " a\nAction 1: search[Arthur's Magazine]",
        " b\nAction 2: search[First for Women]",
        " c\nAction 3: finish[Arthur's Magazine]",
    ]
    sampling = {"temperature": 0.8, "seed": 41}
    first, second = scripted(*steps), scripted(*steps)
    make_agent(first, encyclopedia_tools, pm, generation=sampling).run(QUESTION)
    make_agent(second, encyclopedia_tools, pm, generation=sampling).run(QUESTION)
    assert [c.seed for c in first.configs] == [42, 43, 44]  # seed + step: steps differ
    assert [c.seed for c in second.configs] == [42, 43, 44]  # and the run repeats
    greedy = scripted(*steps)
    make_agent(greedy, encyclopedia_tools, pm, generation={"seed": 41}).run(QUESTION)
    assert {c.seed for c in greedy.configs} == {41}  # greedy: nothing to vary


def opening_prompt(tmp_path, action="search"):
    from agentcore.prompts import load_prompt

    text = Path(load_prompt("react/wikipedia").source).read_text()
    text += f'\nopening_action = "{action}"\nopening_thought = "I search the question first."\n'
    path = tmp_path / "opening.toml"
    path.write_text(text)
    return str(path)


def test_a_prompt_can_open_every_run_with_the_engine_searching_the_task(
    scripted, encyclopedia_tools, pm, tmp_path
):
    backend = scripted(
        " That failed.\nAction 2: search[Arthur's Magazine]",
        " done\nAction 3: finish[Arthur's Magazine]",
    )
    agent = make_agent(backend, encyclopedia_tools, pm, prompt=opening_prompt(tmp_path))
    result = agent.run("Which magazine [the older] came first?")
    first = result.steps[0]
    assert first.action.raw == "search[Which magazine (the older) came first?]"
    assert first.tool_result.ok and first.usage.completion_tokens == 0
    assert first.observation.startswith("Could not find Which magazine")
    assert len(backend.prompts) == 2  # the opening step asked the model nothing
    assert backend.prompts[0].endswith(
        "Thought 1: I search the question first.\n"
        "Action 1: search[Which magazine (the older) came first?]\n"
        "Observation 1: Could not find Which magazine (the older) came first?. "
        "Similar: [\"Arthur's Magazine\", 'First for Women']\nThought 2:"
    )
    assert [s.index for s in result.steps] == [1, 2, 3]
    assert result.answer == "Arthur's Magazine"


def test_an_opening_action_that_is_not_a_tool_is_a_clear_error(
    scripted, encyclopedia_tools, pm, tmp_path
):
    import pytest

    from agentcore.errors import ConfigError

    with pytest.raises(ConfigError, match="opening_action 'wiki' is not a single-argument tool"):
        make_agent(scripted(), encyclopedia_tools, pm, prompt=opening_prompt(tmp_path, "wiki"))
