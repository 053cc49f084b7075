"""System prompt and user-turn text. The tool-call format here must match ``agent/protocol.py``."""

from __future__ import annotations

from openagent_lsp.agent.context import ConversationContext
from openagent_lsp.agent.protocol import TOOL_CALL_CLOSE, TOOL_CALL_OPEN, format_call

SYSTEM_TEMPLATE = """You are OpenAgent, a coding assistant inside the user's editor.
The workspace root is {workspace}.

You can call tools. To call one, write exactly one line in this format and then stop:
{open}{{"tool": "<tool name>", "args": {{...}}}}{close}
Example: {example}
The result comes back in a message starting with "Observation". Never write observations yourself.
Paths are relative to the workspace root. Read a file before you change it; files.write replaces the
whole file. Some calls need the user's approval; if a call is denied, do not try to get around it:
say what you wanted to do and why.
When you have enough information, answer without any tool call. Be concise; use Markdown code blocks.

Available tools:
{tools}"""

CODE_CONTEXT_CHARS = 12000


def build_system_prompt(workspace: str, tools_text: str) -> str:
    return SYSTEM_TEMPLATE.format(
        workspace=workspace,
        open=TOOL_CALL_OPEN,
        close=TOOL_CALL_CLOSE,
        example=format_call("files.read", {"path": "README.md"}),
        tools=tools_text or "(no tools for this request)",
    )


def build_user_message(message: str, context: ConversationContext) -> str:
    """The user's words plus the editor state they refer to (file, selection, surrounding code)."""
    parts: list[str] = []
    lang = context.language or ""
    if context.uri:
        parts.append(f"Current file: {context.uri}")
    if context.selection:
        parts.append(f"Selected code:\n```{lang}\n{context.selection[:CODE_CONTEXT_CHARS]}\n```")
    if context.code and context.code != context.selection:
        parts.append(f"Code around the cursor:\n```{lang}\n{context.code[:CODE_CONTEXT_CHARS]}\n```")
    parts.append(message)
    return "\n\n".join(parts)
