"""Tracing hook calls: which plugins each hook reached, with what, and what they returned.

``AGENTCORE_TRACE_PLUGINS=1`` writes every hook call to standard error, through pluggy's own
hook call monitoring (``PluginManager.add_hookcall_monitoring``): the hook, its arguments
(shortened), the implementations in the order pluggy calls them, then their results or the
exception and how long the call took. It is how a plugin author sees why a hook did or did
not reach their plugin, without a debugger.
"""

from __future__ import annotations

import os
import reprlib
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TextIO

import pluggy

TRACE_ENV = "AGENTCORE_TRACE_PLUGINS"

_short = reprlib.Repr()
_short.maxstring = 60
_short.maxother = 60
_short.maxlist = 4
_short.maxdict = 4


def tracing_requested() -> bool:
    return os.environ.get(TRACE_ENV, "").strip().lower() not in ("", "0", "false", "no")


def trace_hook_calls(pm: pluggy.PluginManager, stream: TextIO | None = None) -> Callable[[], None]:
    """Write each hook call of ``pm`` to ``stream`` (standard error); returns the undo."""
    started = threading.local()  # a stack per thread: hooks may call hooks

    def out(line: str) -> None:
        print(line, file=stream or sys.stderr, flush=True)

    def before(hook: str, impls: Sequence[pluggy.HookImpl], kwargs: Mapping[str, Any]) -> None:
        arguments = ", ".join(f"{k}={_short.repr(v)}" for k, v in kwargs.items())
        # pluggy calls the implementations last-registered first: show them in that order
        order = ", ".join(impl.plugin_name for impl in reversed(impls)) or "none"
        out(f"hook {hook}({arguments}) → {order}")
        started.__dict__.setdefault("stack", []).append(time.perf_counter())

    def after(
        outcome: pluggy.Result[Any],
        hook: str,
        impls: Sequence[pluggy.HookImpl],
        kwargs: Mapping[str, Any],
    ) -> None:
        took = (time.perf_counter() - started.stack.pop()) * 1e3
        if outcome.exception is not None:
            error = outcome.exception
            out(f"hook {hook} raised {type(error).__name__}: {error} ({took:.2f} ms)")
        else:
            out(f"hook {hook} returned {_short.repr(outcome.get_result())} ({took:.2f} ms)")

    return pm.add_hookcall_monitoring(before, after)
