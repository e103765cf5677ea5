"""The sandbox executor's options and the ``sandbox`` settings section of the ``python`` tool.

Light enough for the registry: pydantic and the names of the kernel layers, nothing that
starts a worker.
"""

from __future__ import annotations

from pydantic import Field, PositiveFloat, PositiveInt, field_validator

from agentcore.plugin import DEFAULT_EXECUTOR_TIMEOUT_S, Options
from agentcore_sandbox.confine import KERNEL_LAYERS

DEFAULT_MAX_OBSERVATION_CHARS = 2000


class SandboxOptions(Options):
    """What :class:`~agentcore_sandbox.executor.SandboxExecutor` takes."""

    timeout_s: PositiveFloat = Field(
        DEFAULT_EXECUTOR_TIMEOUT_S, description="Default wall-clock limit per program."
    )
    memory_mb: int = Field(
        512, ge=64, description="Address-space limit of a worker process (64 or more)."
    )
    max_output_chars: PositiveInt = Field(20_000, description="Most characters printed.")
    max_result_bytes: PositiveInt = Field(1_000_000, description="Largest return value, as JSON.")
    max_code_chars: PositiveInt = Field(200_000, description="Longest program accepted.")
    max_int_bits: PositiveInt = Field(1 << 24, description="Largest integer a ** b may make.")
    workers: PositiveInt = Field(1, description="Worker processes running at once.")
    max_jobs_per_worker: PositiveInt = Field(
        200, description="Programs a template worker serves before it is replaced."
    )
    recursion_limit: PositiveInt = Field(1000, description="Python recursion limit in a job.")
    require_kernel_layers: bool = Field(
        False, description="Refuse to run when a kernel layer cannot be applied."
    )
    startup_timeout_s: PositiveFloat = Field(
        30.0, description="How long a new worker may take to become ready."
    )
    kernel_layers: tuple[str, ...] = Field(
        KERNEL_LAYERS, description="Testing only (AGENTCORE_SANDBOX_TESTING=1): layers applied."
    )
    restricted_python: bool = Field(
        True, description="Testing only (AGENTCORE_SANDBOX_TESTING=1): compile restricted."
    )

    @field_validator("kernel_layers", mode="before")
    @classmethod
    def _known_layers(cls, value: object) -> object:
        names = value.split(",") if isinstance(value, str) else value
        if isinstance(names, list | tuple):
            names = tuple(str(n).strip() for n in names if str(n).strip())
            unknown = sorted(set(names) - set(KERNEL_LAYERS))
            if unknown:
                raise ValueError(
                    f"unknown sandbox kernel layer(s) {', '.join(unknown)}; "
                    f"known: {', '.join(KERNEL_LAYERS)}"
                )
        return names


class RunLimit(Options):
    """A time limit given for one program (``run(timeout_s=...)``)."""

    timeout_s: PositiveFloat


class PythonToolSettings(Options):
    """``settings["sandbox"]``: the ``python`` tool's executor and observation."""

    timeout_s: PositiveFloat | None = Field(None, description="Limit per program (executor's).")
    memory_mb: int | None = Field(None, ge=64, description="Worker address-space limit, MB.")
    max_output_chars: PositiveInt | None = Field(None, description="Most characters printed.")
    max_observation_chars: PositiveInt = Field(
        DEFAULT_MAX_OBSERVATION_CHARS, description="Longest observation the model reads."
    )

    def executor_options(self) -> dict[str, object]:
        """The executor's options this section sets (the others keep their defaults)."""
        given = {"timeout_s": self.timeout_s, "memory_mb": self.memory_mb}
        given["max_output_chars"] = self.max_output_chars
        return {key: value for key, value in given.items() if value is not None}
