"""Running one program under the policy, in the current process (worker side).

The engine never calls this: the worker process does (and the benchmark, to
measure the in-process cost it is compared with). Every outcome, including the
program raising ``SystemExit`` or exhausting memory, becomes a result record;
nothing the program does escapes as an exception.
"""

from __future__ import annotations

from typing import Any

from agentcore_sandbox import policy
from agentcore_sandbox.compiler import FILENAME, ProgramRejected, compile_program
from agentcore_sandbox.values import NotSerializable, encode_value

MAX_MESSAGE_CHARS = 2000


def run_job(job: dict[str, Any], *, restricted: bool = True) -> dict[str, Any]:
    """Compile and run ``job["code"]``; return ``{value, stdout, error}``.

    ``restricted=False`` runs the code as plain Python with the real builtins:
    only the tests that prove the kernel layers on their own do that.
    """
    state = policy.begin_job(
        max_output_chars=int(job.get("max_output_chars", 20_000)),
        max_int_bits=int(job.get("max_int_bits", 1 << 24)),
    )
    entrypoint: str | None = job.get("entrypoint")
    error: tuple[str, str] | None = None
    value: Any = None
    try:
        program = compile_program(
            job["code"],
            value_of_last_expression=bool(job.get("value_of_last_expression")),
            restricted=restricted,
        )
    except ProgramRejected as exc:
        return _result(None, "", (exc.kind, exc.message))

    namespace = policy.make_globals() if restricted else {"__name__": "sandbox_program"}
    try:
        exec(program.body, namespace)
        if program.last_expression is not None:
            value = eval(program.last_expression, namespace)
        if entrypoint:
            function = namespace.get(entrypoint)
            if function is None:
                if not job.get("entrypoint_optional"):
                    error = (
                        "missing_entrypoint",
                        f"the program defines no function {entrypoint!r}; define "
                        f"`def {entrypoint}():` that returns the answer",
                    )
            elif not callable(function):
                error = ("missing_entrypoint", f"{entrypoint!r} is not a function")
            else:
                value = function()
    except policy.SandboxViolation as exc:
        error = ("forbidden", _clip(str(exc)))
    except policy.OutputLimitExceeded:
        error = ("output_limit", _output_limit_message(state))
    except MemoryError as exc:
        error = ("memory", _clip(str(exc)) or "the program ran out of memory")
    except BaseException as exc:  # the program's own error, whatever it is
        error = ("runtime_error", describe_exception(exc))
    finally:
        namespace.clear()

    if state.violations:  # sticky: a refusal the program caught still counts
        error, value = ("forbidden", _clip(state.violations[0])), None
    elif state.output_exceeded:
        error, value = ("output_limit", _output_limit_message(state)), None
    if error is None:
        try:
            value = encode_value(value, int(job.get("max_result_bytes", 1_000_000)))
        except NotSerializable as exc:
            error, value = ("result_not_serializable", _clip(str(exc))), None
        except OverflowError as exc:
            error, value = ("output_limit", _clip(str(exc))), None
        except RecursionError:
            error, value = ("result_not_serializable", "the value refers to itself"), None
        except MemoryError:
            error, value = ("memory", "the program ran out of memory returning its value"), None
    else:
        value = None
    return _result(value, state.stdout(), error)


def _result(value: Any, stdout: str, error: tuple[str, str] | None) -> dict[str, Any]:
    return {
        "value": value,
        "stdout": stdout,
        "error": None if error is None else {"kind": error[0], "message": error[1]},
    }


def _output_limit_message(state: policy.JobState) -> str:
    return f"the program printed more than {state.max_output_chars:,} characters"


def _clip(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE_CHARS else text[:MAX_MESSAGE_CHARS] + "..."


def describe_exception(exc: BaseException) -> str:
    """``Type: message (line N)`` with the last line of the program involved."""
    try:
        message = str(exc)
    except Exception:
        message = ""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == FILENAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    text = type(exc).__name__ + (f": {message}" if message else "")
    if line is not None:
        text += f" (line {line})"
    return _clip(text)
