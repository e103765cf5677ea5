"""Config files: defaults for the command line, precedence, checking, `agentcore config`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from agentcore.cli.main import cli
from agentcore.config import load_config
from agentcore.errors import ConfigError

FINISH = " Known.\nAction 1: finish[{answer}]"


@pytest.fixture
def homes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """An empty user config directory and an empty project directory (the cwd)."""
    user, project = tmp_path / "xdg", tmp_path / "project"
    (user / "agentcore").mkdir(parents=True)
    project.mkdir()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(user))
    monkeypatch.delenv("AGENTCORE_CONFIG", raising=False)
    monkeypatch.chdir(project)
    return user / "agentcore" / "config.toml", project / "agentcore.toml"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_the_project_file_wins_over_the_user_file(homes) -> None:
    user, project = homes
    _write(user, 'backend = "scripted"\nmodel = "m-user"\n[settings.wikipedia]\nmode = "online"\n')
    _write(project, 'model = "m-project"\n')
    config = load_config()
    assert config.files == [user, project]
    assert config.get("backend") == "scripted" and config.get("model") == "m-project"
    assert config.values["model"].source == str(project)
    assert config.settings() == {"wikipedia": {"mode": "online"}}


def test_a_run_takes_its_backend_and_options_from_the_file_and_flags_win(homes) -> None:
    _, project = homes
    answer = FINISH.format(answer="from the file")
    _write(
        project, f'backend = "scripted"\n[options.scripted]\ncompletions = {json.dumps(answer)}\n'
    )
    runner = CliRunner()
    configured = runner.invoke(cli, ["run", "react", "Who?", "-q", "-t", "search"])
    assert configured.exit_code == 0, configured.output
    assert configured.output.strip() == "from the file"
    flagged = runner.invoke(
        cli, ["run", "react", "Who?", "-q", "-t", "search", "-o",
              "completions=" + FINISH.format(answer="from the flag")],
    )  # fmt: skip
    assert flagged.output.strip() == "from the flag"


def test_a_bad_value_in_a_file_is_one_line_naming_the_file(homes) -> None:
    _, project = homes
    _write(project, 'backend = "scripted"\n[settings.wikipedia]\nmode = "offlin"\n')
    result = CliRunner().invoke(cli, ["run", "react", "Who?"])
    assert result.exit_code == 1
    [line] = result.output.strip().splitlines()
    assert "wikipedia.mode='offlin'" in line and str(project) in line


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'bakend = "x"\n',
            "unknown key 'bakend'; it may hold backend, model, mcp, options, settings",
        ),
        ("backend = 3\n", "backend must be a string"),
        ("[options]\nn_ctx = 3\n", "[options] holds tables"),
        ("backend = \n", "is not valid TOML"),
    ],
)
def test_a_malformed_file_is_refused_with_its_path(homes, text: str, message: str) -> None:
    _, project = homes
    _write(project, text)
    with pytest.raises(ConfigError, match=r"config file .*agentcore\.toml") as info:
        load_config()
    assert message in str(info.value)


def test_agentcore_config_env_names_the_one_file_or_none(homes, monkeypatch, tmp_path) -> None:
    user, _ = homes
    _write(user, 'model = "m-user"\n')
    other = _write(tmp_path / "other.toml", 'model = "m-other"\n')
    monkeypatch.setenv("AGENTCORE_CONFIG", str(other))
    assert load_config().get("model") == "m-other"
    monkeypatch.setenv("AGENTCORE_CONFIG", "off")
    assert load_config().files == []
    monkeypatch.setenv("AGENTCORE_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match=r"missing\.toml: no such file"):
        load_config()


def test_agentcore_config_shows_each_value_with_its_source(homes, monkeypatch) -> None:
    _, project = homes
    _write(project, "[options.llama-cpp]\nn_ctx = 8192\n")
    monkeypatch.setenv("AGENTCORE_STORE", "/tmp/runs.duckdb")
    monkeypatch.setenv("AGENTCORE_SHIPPING_API_KEY", "sk-secret")
    shown = CliRunner().invoke(cli, ["config"])
    assert shown.exit_code == 0, shown.output
    assert f"config files: {project}" in shown.output
    assert "backend = 'llama-cpp'  (built-in default)" in shown.output
    assert f"options.llama-cpp.n_ctx = 8192  ({project})" in shown.output
    assert "AGENTCORE_STORE=/tmp/runs.duckdb  — the runs store file" in shown.output
    assert "sk-secret" not in shown.output and "(set, hidden)" in shown.output
    data = json.loads(CliRunner().invoke(cli, ["config", "--json"]).output)
    assert data["files_read"] == [str(project)]
    assert {"key": "options.llama-cpp.n_ctx", "value": 8192, "source": str(project)} in data[
        "values"
    ]
