"""Items run once each, in threads or on a Dask cluster; results resume; the CLI end to end."""

from __future__ import annotations

import json
import os
import signal
import threading

import pytest
from agentcore_eval.results import EvalHeader, ResultsFile, read_results
from agentcore_eval.runner import evaluate
from click.testing import CliRunner
from eval_testkit import always, items

from agentcore.cli.main import cli
from agentcore.plugin import ConfigError

HEADER = EvalHeader(dataset="capitals", metric="em", agent={"kind": "prompt"})


def lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()[1:]]


def test_each_item_is_run_and_scored_once_in_threads(tmp_path):
    results = ResultsFile(tmp_path / "r.jsonl", HEADER)
    evaluate(always("Paris"), "em", items(8), results, workers=3)
    written = lines(tmp_path / "r.jsonl")
    assert sorted(r["id"] for r in written) == [f"q{i}" for i in range(8)]
    assert sum(r["scores"]["em"] for r in written) == 4  # four of the capitals are Paris
    assert {r["failure"] for r in written if r["scores"]["em"] == 0} == {"wrong"}
    assert len({r["worker"] for r in written}) >= 2
    assert all(r["run_id"] and r["tokens_generated"] == 1 for r in written)


def test_an_interrupted_eval_resumes_without_redoing_items(tmp_path):
    path = tmp_path / "r.jsonl"
    evaluate(always("Paris"), "em", items(3), ResultsFile(path, HEADER))
    with path.open("a") as handle:  # a crash in the middle of writing the fourth line
        handle.write('{"id": "q3", "input": "Capi')
    resumed = ResultsFile(path, HEADER)
    assert sorted(resumed.done) == ["q0", "q1", "q2"]
    seen = []
    evaluate(always("Rome"), "em", items(5), resumed, progress=lambda r: seen.append(r.id))
    assert sorted(seen) == ["q3", "q4"]  # only the items not done before ran
    header, done = read_results(path)
    assert header == HEADER and [r.id for r in done][:3] == ["q0", "q1", "q2"]
    assert sorted(r.id for r in done) == [f"q{i}" for i in range(5)]
    assert {r.id: r.answer for r in done}["q4"] == "Rome"


def test_a_results_file_of_another_eval_is_not_resumed(tmp_path):
    path = tmp_path / "r.jsonl"
    ResultsFile(path, HEADER)
    other = HEADER.model_copy(update={"metric": "f1"})
    with pytest.raises(ConfigError, match=r"holds another eval.*give another --out"):
        ResultsFile(path, other)
    path.write_text("not a header\n")
    with pytest.raises(ConfigError, match=r"r\.jsonl:1: not an agentcore eval results file"):
        ResultsFile(path, HEADER)


def test_an_unknown_metric_fails_before_any_item_runs(tmp_path):
    results = ResultsFile(tmp_path / "r.jsonl", HEADER)
    with pytest.raises(Exception, match="meteor"):
        evaluate(always("Paris"), "meteor", items(2), results)
    assert results.done == {}


@pytest.fixture
def dask_cluster():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
    )
    yield cluster
    cluster.close()


def test_on_a_dask_cluster_a_killed_worker_loses_and_repeats_nothing(tmp_path, dask_cluster):
    """Kill one worker process while it runs an item: its items run elsewhere (or on the
    worker its nanny restarts), every item is written exactly once."""
    from distributed import Client

    with Client(dask_cluster) as client:
        pids = client.run(os.getpid)  # worker address → process id
    results = ResultsFile(tmp_path / "r.jsonl", HEADER)
    killed: list[int] = []
    lock = threading.Lock()

    def progress(result):
        with lock:
            if len(results.done) >= 3 and not killed:
                victim = next(pid for address, pid in pids.items() if address != result.worker)
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)

    spec = always("Paris", delay_s=0.25)
    evaluate(spec, "em", items(16), results, cluster=dask_cluster.scheduler_address,
             progress=progress)  # fmt: skip
    assert killed, "no worker was killed"
    written = lines(tmp_path / "r.jsonl")
    assert sorted(r["id"] for r in written) == sorted(f"q{i}" for i in range(16))
    assert len(written) == 16  # none twice
    assert sum(r["scores"]["em"] for r in written) == 8
    assert len({r["worker"] for r in written}) >= 2


def test_a_local_cluster_runs_the_items_in_worker_processes(tmp_path):
    pytest.importorskip("distributed")
    results = ResultsFile(tmp_path / "r.jsonl", HEADER)
    evaluate(always("Paris"), "em", items(6), results, cluster="local:2")
    written = lines(tmp_path / "r.jsonl")
    assert len(written) == 6 and all(r["worker"].startswith("tcp://") for r in written)


@pytest.mark.parametrize(
    ("cluster", "message"),
    [
        ("local:0", "give local:N"),
        ("loco:2", "give local:N"),
        ("tcp://127.0.0.1:1", "cannot reach"),
    ],
)
def test_a_bad_cluster_is_one_clear_error(tmp_path, cluster, message):
    results = ResultsFile(tmp_path / "r.jsonl", HEADER)
    with pytest.raises(ConfigError, match=message):
        evaluate(always("Paris"), "em", items(1), results, cluster=cluster)


def invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, ["eval", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_the_cli_scores_a_user_jsonl_resumes_compares_and_reports(qa_file, tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    args = [str(qa_file), "--metric", "em", "-b", "scripted", "-q"]
    paris, rome = json.dumps([" Paris"] * 8), json.dumps([" Rome"] * 8)
    out = invoke(*args, "-o", f"completions={paris}", "-n", "1", "--out", str(a))
    assert "| em | 100.0 |" in out and "| items | 1 |" in out
    for _ in range(2):  # the second time finds everything done
        out = invoke(*args, "-o", f"completions={paris}", "--workers", "2", "--out", str(a))
    assert "resuming" in out and "8 of 8 items done already" in out
    assert "| em | 50.0 |" in out and "| wrong: wrong | 4 |" in out
    invoke(*args, "-o", f"completions={rome}", "--out", str(b))
    out = invoke("compare", str(a), str(b), "--resamples", "500")
    assert "em on 8 paired items: A 50.0 → B 12.5" in out
    assert "wrong in A, right in B: 1" in out and "right in A, wrong in B: 4" in out
    page = tmp_path / "a.html"
    assert invoke("report", str(a), "--html", str(page)).strip() == str(page)
    html = page.read_text()
    assert "<svg" in html and "50.0</span> em on\n8 items" in html and "Capital number 1?" in html


def test_the_cli_refuses_bad_flags_in_one_line(qa_file):
    result = CliRunner().invoke(cli, ["eval", str(qa_file), "--metric", "em", "-n", "0"])
    assert result.exit_code == 2 and "must be at least 1" in result.output
    result = CliRunner().invoke(cli, ["eval", str(qa_file)])
    assert result.exit_code == 1 and "give --metric" in result.output
    assert "Traceback" not in result.output


def test_paths_into_the_cache_are_written_portably(monkeypatch, tmp_path):
    from agentcore_eval.cli import portable

    monkeypatch.setenv("AGENTCORE_CACHE", str(tmp_path))
    spec = {"settings": {"wikipedia": {"corpus": f"{tmp_path}/eval/fever.jsonl"}}, "k": [1]}
    assert portable(spec) == {
        "settings": {"wikipedia": {"corpus": "$AGENTCORE_CACHE/eval/fever.jsonl"}},
        "k": [1],
    }
    assert portable("/elsewhere/x.jsonl") == "/elsewhere/x.jsonl"


def test_the_react_flags_reach_the_agent_and_the_results_header(qa_file, tmp_path):
    out = tmp_path / "react.jsonl"
    finish = json.dumps([" I know.\nAction 1: finish[Paris]"])
    invoke(str(qa_file), "--metric", "em", "--agent", "react", "-b", "scripted", "-q", "-n", "1",
           "-o", f"completions={finish}", "--repeats", "note", "--observation-chars", "400",
           "--max-steps", "3", "--out", str(out))  # fmt: skip
    header = json.loads(out.read_text().splitlines()[0])
    agent = header["agent"]
    assert (agent["kind"], agent["backend"]) == ("react", "scripted")
    assert (agent["max_steps"], agent["observation_chars"], agent["repeats"]) == (3, 400, "note")
