"""Time-limited tool calls run on reused worker threads; a hung tool blocks nothing after it."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from agentcore import tool_workers
from agentcore.tools import tool


@tool(timeout_s=5)
def whose_thread() -> int:
    """The ident of the thread running this call."""
    return threading.get_ident()


def test_workers_are_reused_across_calls():
    idents = {whose_thread.invoke({}).data for _ in range(20)}
    assert len(idents) == 1
    assert idents != {threading.get_ident()}  # the call did run on a worker, not inline


def test_a_hung_tool_times_out_and_does_not_block_later_calls():
    release = threading.Event()

    @tool(timeout_s=0.2)
    def hangs() -> str:
        """Wait until released."""
        release.wait(30)
        return "late"

    try:
        started = time.perf_counter()
        stuck = hangs.invoke({})
        assert not stuck.ok and stuck.error_kind == "timeout"
        assert stuck.observation == "hangs timed out after 0.2 s."
        assert time.perf_counter() - started < 2

        again = time.perf_counter()
        result = whose_thread.invoke({})  # gets another worker while the hung one waits
        assert result.ok and time.perf_counter() - again < 1
        second = hangs.invoke({})
        assert second.error_kind == "timeout"
    finally:
        release.set()


def test_a_worker_stuck_in_a_timed_out_call_is_never_handed_another_call():
    release = threading.Event()
    hung: list[threading.Thread] = []

    def hang() -> None:
        hung.append(threading.current_thread())
        release.wait(30)

    with pytest.raises(tool_workers.CallTimedOut):
        tool_workers.call_with_time_limit(hang, {}, 0.1)
    served = {tool_workers.call_with_time_limit(threading.current_thread, {}, 5) for _ in range(5)}
    assert hung[0] not in served and hung[0].is_alive()
    release.set()  # the call returns at last: its worker may serve again, never a call lost
    assert [tool_workers.call_with_time_limit(str, {"object": i}, 5) for i in range(3)] == [
        "0",
        "1",
        "2",
    ]


def test_exceptions_propagate_to_the_caller_with_their_type():
    def fails(x: int) -> None:
        raise KeyError(f"missing {x}")

    with pytest.raises(KeyError, match="missing 3"):
        tool_workers.call_with_time_limit(fails, {"x": 3}, 5)

    @tool(timeout_s=5)
    def divides(n: int) -> float:
        """Divide one by n."""
        return 1 / n

    failed = divides.invoke({"n": 0})
    assert failed.error_kind == "exception"
    assert failed.observation == "divides failed: ZeroDivisionError: division by zero"
    assert divides.invoke({"n": 4}).data == 0.25  # the worker that raised serves the next call


def test_concurrent_calls_each_get_their_own_result():
    results: dict[int, object] = {}

    def caller(i: int) -> None:
        results[i] = tool_workers.call_with_time_limit(lambda v: v * 2, {"v": i}, 5)

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {i: i * 2 for i in range(32)}


def test_a_hung_tool_does_not_delay_interpreter_exit():
    code = (
        "import time\n"
        "from agentcore.tools import tool\n"
        "@tool(timeout_s=0.1)\n"
        "def hangs() -> str:\n"
        '    """Sleep a minute."""\n'
        "    time.sleep(60)\n"
        "print(hangs.invoke({}).error_kind)\n"
    )
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30
    )
    assert out.stdout.strip() == "timeout"
    assert time.perf_counter() - started < 20
