"""The interface every code executor implements (PAL, the ``python`` tool)."""

from __future__ import annotations

from abc import ABC, abstractmethod

from agentcore.models import ExecutionResult

DEFAULT_TIMEOUT_S = 5.0
"""The one default wall-clock limit of a model-written program, in seconds.

PAL, the ``python`` tool and ``agentcore sandbox run`` all use it unless told
otherwise (``timeout_s=``, ``--set sandbox.timeout_s=``, ``--timeout``).
"""


class CodeExecutor(ABC):
    """Runs a model-written program outside the engine's process.

    ``entrypoint`` names a zero-argument function the program defines; its
    return value becomes ``ExecutionResult.value``. With ``entrypoint=None`` the
    program is run as a script and the value is ``None``.
    """

    name: str = "executor"

    @abstractmethod
    def run(
        self, code: str, *, entrypoint: str | None = "solution", timeout_s: float | None = None
    ) -> ExecutionResult:
        """Run ``code`` and report its value, output and any error."""

    def close(self) -> None:  # noqa: B027 - optional hook, default does nothing
        """Stop worker processes."""
