"""Prompts as data: loading by name, overrides, rendering and fitting to the context window."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest

from agentcore.errors import ConfigError, NotFoundError, PromptTooLongError
from agentcore.prompts import fit_prompt, list_prompts, load_prompt


def words(text: str) -> int:
    return len(text.split())


def test_builtin_prompts_load_by_name():
    assert {"react/wikipedia", "react/tools", "pal/math", "cot/math"} <= set(list_prompts())
    react = load_prompt("react/wikipedia")
    assert len(react.exemplars) == 3
    assert "$tools" in react.instructions and "$max_steps" in react.instructions
    assert react.extra("final_nudge", step=8).endswith("Action 8: finish[")


@pytest.mark.parametrize("shots", [0, 1, 3])
def test_shots_select_the_first_k_exemplars(shots):
    template = load_prompt("pal/math")
    text = template.render("How many?", shots=shots)
    assert text.count("# solution in Python:") == shots + 1  # exemplars + the question
    assert text.endswith("Q: How many?\n\n# solution in Python:\n")


def test_a_missing_prompt_file_is_named_as_missing(tmp_path):
    missing = tmp_path / "mine.toml"
    with pytest.raises(ConfigError, match=r"prompt file .*mine.toml does not exist"):
        load_prompt(str(missing))
    with pytest.raises(ConfigError, match="is a directory"):
        (tmp_path / "dir.toml").mkdir()
        load_prompt(str(tmp_path / "dir.toml"))


def test_fit_drops_exemplars_and_says_so():
    template = load_prompt("react/wikipedia")
    values = {"tools": "- search[entity]: Search.", "max_steps": 5}
    full = fit_prompt(
        template,
        "q?",
        shots=None,
        count_tokens=words,
        context_window=10_000,
        reserve_tokens=100,
        **values,
    )
    assert full.shots_used == 3 and full.note is None
    window = full.prompt_tokens + 100 - 60  # too small for all three exemplars
    fitted = fit_prompt(
        template,
        "q?",
        shots=3,
        count_tokens=words,
        context_window=window,
        reserve_tokens=100,
        **values,
    )
    assert fitted.shots_used < 3
    assert fitted.prompt_tokens + 100 <= window
    assert f"dropped {3 - fitted.shots_used} of 3 exemplars" in fitted.note


def test_fit_fails_clearly_when_even_zero_shot_overflows():
    template = load_prompt("react/wikipedia")
    with pytest.raises(PromptTooLongError, match="context window is 50"):
        fit_prompt(
            template,
            "q",
            shots=None,
            count_tokens=words,
            context_window=50,
            reserve_tokens=10,
            tools="-",
            max_steps=3,
        )


def test_bad_shots_values():
    template = load_prompt("pal/math")
    with pytest.raises(ConfigError, match="only 8 exemplars"):
        fit_prompt(
            template, "q", shots=9, count_tokens=words, context_window=9999, reserve_tokens=0
        )
    with pytest.raises(ConfigError, match="shots must be 0 or more"):
        fit_prompt(
            template, "q", shots=-1, count_tokens=words, context_window=9999, reserve_tokens=0
        )


def test_user_directory_overrides_and_errors(tmp_path, monkeypatch):
    (tmp_path / "pal").mkdir()
    (tmp_path / "pal" / "math.toml").write_text(
        'instructions = "Mine."\nquestion = "Q: $question\\n"\n[extras]\nprogram_prefix = "x"\n'
    )
    (tmp_path / "pal" / "broken.toml").write_text("instructions = [unclosed")
    (tmp_path / "pal" / "needs.toml").write_text(
        'instructions = "$nothing"\nquestion = "$question"'
    )
    monkeypatch.setenv("AGENTCORE_PROMPTS", str(tmp_path))
    assert load_prompt("pal/math").instructions == "Mine."
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_prompt("pal/broken")
    with pytest.raises(ConfigError, match=r"uses \$nothing"):
        load_prompt("pal/needs").render("q")
    with pytest.raises(NotFoundError, match="unknown prompt 'pal/none'"):
        load_prompt("pal/none")


def test_prompts_ship_inside_the_wheel(tmp_path, repo_root):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(repo_root),
        ],
        check=True,
    )
    wheel = next(tmp_path.glob("agentcore-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "agentcore/_prompts/react/wikipedia.toml" in names
    assert "agentcore/_prompts/pal/math.toml" in names
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    code = "import agentcore.prompts as p; t = p.load_prompt('react/wikipedia'); print(t.source)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(target)},
        check=True,
    )
    assert out.stdout.strip().startswith(str(target / "agentcore" / "_prompts"))
