"""agentcore-sandbox: run model-written Python safely (PAL executor, ``python`` tool, CLI).

Programs are compiled with RestrictedPython and run in warm worker processes
under operating-system limits; the engine's process never runs them. See
:mod:`agentcore_sandbox.executor` for the entry point and README.md for the
settings.
"""

__version__ = "0.1.0"
