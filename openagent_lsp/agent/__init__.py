"""The agent: a bounded tool-calling loop over a ``BaseLLM``, with every tool call guarded."""

from openagent_lsp.agent.context import ContextManager, ConversationContext
from openagent_lsp.agent.core import Agent, AgentReply, AgentSettings, ToolCallRecord
from openagent_lsp.agent.metrics import AgentMetrics
from openagent_lsp.agent.selection import select_tools

__all__ = [
    "Agent",
    "AgentMetrics",
    "AgentReply",
    "AgentSettings",
    "ContextManager",
    "ConversationContext",
    "ToolCallRecord",
    "select_tools",
]
