"""Chat: conversations persisted in SQLite, slash commands, streaming through the agent, cancellation.

Protocol-free: the LSP layer passes an ``on_delta`` callback and turns the result into the command's
reply; cancellation arrives by conversation id (``openagent.chat.cancel``) or through the token the
LSP layer links to ``$/cancelRequest`` and the progress Cancel button.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from openagent_lsp.agent.context import ConversationContext
from openagent_lsp.config import describe_validation_error
from openagent_lsp.errors import InvalidInputError
from openagent_lsp.llm.base import CancelToken
from openagent_lsp.logging import get_logger
from openagent_lsp.store.db import Store
from openagent_lsp.tools.base import ToolContext, ToolRegistry
from openagent_lsp.tools.guard import ToolGuard

log = get_logger(__name__)

SLASH_COMMANDS = {
    "/explain": "Explain what the selected code does.",
    "/fix": "Find and fix the bugs in the selected code. Show the corrected code.",
    "/test": "Write unit tests for the selected code.",
    "/doc": "Write a docstring for the selected code.",
    "/commit": "Write a concise git commit message (subject line, blank line, body) for this staged diff:",
}


class _Position(BaseModel):
    line: int = Field(ge=0)
    character: int = Field(ge=0)


class _Range(BaseModel):
    start: _Position
    end: _Position


class ChatRequest(BaseModel):
    """Arguments of ``openagent.chat``."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    message: str = Field(min_length=1, max_length=100_000)
    conversation_id: str | None = Field(default=None, alias="conversationId", max_length=200)
    uri: str | None = None
    range: _Range | None = None

    @classmethod
    def parse(cls, raw: Any) -> ChatRequest:
        if not isinstance(raw, dict):
            raise InvalidInputError(
                "openagent.chat expects one object argument {message, conversationId?, uri?, range?}"
            )
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            raise InvalidInputError(describe_validation_error(exc).replace("invalid setting", "invalid argument"))\
                from exc


@dataclass
class ChatResult:
    conversation_id: str
    text: str
    ok: bool
    error: str = ""
    cancelled: bool = False
    duration_ms: float = 0.0
    first_delta_ms: float | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"conversationId": self.conversation_id, "text": self.text, "ok": self.ok, "error": self.error,
                "cancelled": self.cancelled, "durationMs": round(self.duration_ms, 1),
                "firstDeltaMs": None if self.first_delta_ms is None else round(self.first_delta_ms, 1),
                "toolCalls": self.tool_calls}


@dataclass
class EditorSelection:
    """What the user has selected, resolved by the LSP layer from uri + range."""

    uri: str
    code: str
    language: str


class ChatService:
    def __init__(self, store: Store, workspace: Path) -> None:
        self.store = store
        self.workspace = workspace
        self._active: dict[str, CancelToken] = {}
        self.first_delta_ms: list[float] = []

    def cancel(self, conversation_id: str) -> bool:
        token = self._active.get(conversation_id)
        if token is None:
            return False
        token.cancel("cancelled by the user")
        return True

    def conversations(self) -> list[dict[str, Any]]:
        return [
            {"conversationId": c.id, "title": c.title, "updatedAt": c.updated_at, "messages": c.message_count}
            for c in self.store.list_conversations(str(self.workspace))
        ]

    def history(self, conversation_id: Any) -> list[dict[str, Any]]:
        if not isinstance(conversation_id, str) or not conversation_id:
            raise InvalidInputError("conversationId: a conversation id string is required")
        messages = self.store.get_history(conversation_id)
        return [{"role": m.role, "content": m.content, "createdAt": m.created_at} for m in messages]

    async def send(
        self,
        request: ChatRequest,
        agent: Any,
        *,
        selection: EditorSelection | None,
        on_delta: Callable[[str], None],
        cancel: CancelToken,
        registry: ToolRegistry | None = None,
        guard: ToolGuard | None = None,
        staged_diff: Callable[[], str] | None = None,
    ) -> ChatResult:
        started = time.monotonic()
        conversation_id = await asyncio.to_thread(self._conversation, request.conversation_id)
        first: list[float] = []

        def delta(text: str) -> None:
            if not first:
                first.append((time.monotonic() - started) * 1000)
            on_delta(text)

        self._active[conversation_id] = cancel
        try:
            message = request.message.strip()
            if message.startswith("/run"):
                result = await self._run_command(message[4:].strip(), conversation_id, delta, cancel, registry, guard)
            else:
                message = await self._expand_slash(message, selection, staged_diff)
                result = await self._ask_agent(message, conversation_id, agent, selection, delta, cancel)
        finally:
            self._active.pop(conversation_id, None)
        result.duration_ms = (time.monotonic() - started) * 1000
        result.first_delta_ms = first[0] if first else None
        if first:
            self.first_delta_ms.append(first[0])
        return result

    def _conversation(self, conversation_id: str | None) -> str:
        if conversation_id:
            return self.store.ensure_conversation(conversation_id, str(self.workspace))
        return self.store.create_conversation(str(self.workspace))

    async def _expand_slash(self, message: str, selection: EditorSelection | None,
                            staged_diff: Callable[[], str] | None) -> str:
        command, _, rest = message.partition(" ")
        if not command.startswith("/"):
            return message
        if command not in SLASH_COMMANDS:
            raise InvalidInputError(
                f"message: unknown slash command {command}; use one of {', '.join([*SLASH_COMMANDS, '/run'])}")
        if command == "/commit":
            if staged_diff is None:
                raise InvalidInputError("/commit needs a git workspace")
            diff = await asyncio.to_thread(staged_diff)
            if not diff.strip():
                raise InvalidInputError("/commit: nothing is staged (git add some changes first)")
            return f"{SLASH_COMMANDS[command]}\n```diff\n{diff[:12000]}\n```"
        if selection is None:
            raise InvalidInputError(f"{command} needs a selection: pass uri and range")
        extra = f" {rest}" if rest else ""
        return f"{SLASH_COMMANDS[command]}{extra}"

    async def _ask_agent(self, message: str, conversation_id: str, agent: Any, selection: EditorSelection | None,
                         delta: Callable[[str], None], cancel: CancelToken) -> ChatResult:
        history = [m.as_chat() for m in await asyncio.to_thread(self.store.get_history, conversation_id)]
        context = ConversationContext(
            conversation_id=conversation_id, workspace=self.workspace, messages=history,
            uri=selection.uri if selection else None, code=selection.code if selection else None,
            selection=selection.code if selection else None, language=selection.language if selection else None,
        )
        reply = await agent.process_message(message, context, delta, cancel)
        await asyncio.to_thread(self.store.add_message, conversation_id, "user", message)
        if reply.text:
            await asyncio.to_thread(self.store.add_message, conversation_id, "assistant", reply.text)
        return ChatResult(conversation_id, reply.text, reply.ok, reply.error, reply.cancelled,
                          tool_calls=[{"name": c.name, "ok": c.ok, "error": c.error} for c in reply.tool_calls])

    async def _run_command(self, command: str, conversation_id: str, delta: Callable[[str], None],
                           cancel: CancelToken, registry: ToolRegistry | None, guard: ToolGuard | None) -> ChatResult:
        """``/run <command>``: the user's own command, still through the policy (and approval)."""
        if not command:
            raise InvalidInputError("/run needs a command, e.g. /run pytest -q")
        if registry is None or guard is None or registry.get("shell.run") is None:
            raise InvalidInputError("/run is not available: no shell tool")
        tool = registry.get("shell.run")
        assert tool is not None
        ctx = ToolContext(workspace=self.workspace, guard=guard, cancel=cancel)
        result = await tool.invoke({"command": command}, ctx)
        text = result.to_observation()
        delta(text)
        await asyncio.to_thread(self.store.add_message, conversation_id, "user", f"/run {command}")
        await asyncio.to_thread(self.store.add_message, conversation_id, "assistant", text)
        return ChatResult(conversation_id, text, result.ok, result.error, cancel.cancelled,
                          tool_calls=[{"name": "shell.run", "ok": result.ok, "error": result.error}])
