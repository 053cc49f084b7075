"""Tools the agent can call. Every call passes the ``ToolGuard`` (policy, approval, audit) first."""

from openagent_lsp.tools.base import EditorBridge, Tool, ToolContext, ToolRegistry, ToolResult
from openagent_lsp.tools.guard import Authorization, GrantStore, InMemoryGrantStore, Outcome, ToolGuard
from openagent_lsp.tools.registry import build_default_registry

__all__ = [
    "Authorization",
    "EditorBridge",
    "GrantStore",
    "InMemoryGrantStore",
    "Outcome",
    "Tool",
    "ToolContext",
    "ToolGuard",
    "ToolRegistry",
    "ToolResult",
    "build_default_registry",
]
