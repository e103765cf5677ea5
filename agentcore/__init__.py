"""agentcore: a small, plugin-based engine for ReAct, PAL and RAG agents.

Importing this package is cheap: the agents, the plugin manager and every
heavy library load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentcore.lazy_exports import lazy_exports

__version__ = "0.1.0"

_EXPORTS = {
    "ReActAgent": "agentcore.react",
    "PALAgent": "agentcore.pal",
    "ToolCallingAgent": "agentcore.tool_calling",
    "tool": "agentcore.tools",
    "Tool": "agentcore.tools",
    "ToolContext": "agentcore.tools",
    "GenerationConfig": "agentcore.models",
    "Message": "agentcore.models",
    "Completion": "agentcore.models",
    "RunResult": "agentcore.models",
    "RunStatus": "agentcore.models",
    "Step": "agentcore.models",
    "Document": "agentcore.models",
    "ExecutionResult": "agentcore.models",
    "LLMBackend": "agentcore.backends",
    "CodeExecutor": "agentcore.executors",
    "Retriever": "agentcore.retrievers",
    "hookimpl": "agentcore.hookspecs",
    "get_plugin_manager": "agentcore.plugins",
    "AgentcoreError": "agentcore.errors",
}

__all__ = [*sorted(_EXPORTS), "__version__"]

if TYPE_CHECKING:
    from agentcore.backends import LLMBackend
    from agentcore.errors import AgentcoreError
    from agentcore.executors import CodeExecutor
    from agentcore.hookspecs import hookimpl
    from agentcore.models import (
        Completion,
        Document,
        ExecutionResult,
        GenerationConfig,
        Message,
        RunResult,
        RunStatus,
        Step,
    )
    from agentcore.pal import PALAgent
    from agentcore.plugins import get_plugin_manager
    from agentcore.react import ReActAgent
    from agentcore.retrievers import Retriever
    from agentcore.tool_calling import ToolCallingAgent
    from agentcore.tools import Tool, ToolContext, tool

__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS, __all__)
