"""ChatService: conversations persisted in SQLite, slash commands, the agent, ``/run`` and cancellation.

Protocol-free: the LSP layer passes the validated request, an ``on_delta`` callback and a cancel token
(linked to ``$/cancelRequest`` and the progress Cancel button), and turns the result into the command's
reply. The conversation exists before the first delta, so every delta carries its id.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openagent_lsp.agent.context import ConversationContext
from openagent_lsp.agent.prompts import CODE_CONTEXT_CHARS
from openagent_lsp.assist.arguments import ChatRequest
from openagent_lsp.assist.base_chat import NOTE_MARKER, BaseModelChat, Selection, model_note
from openagent_lsp.assist.recipes import uses_completion_prompts
from openagent_lsp.assist.targets import find_target
from openagent_lsp.assist.undo import Turn, UndoService
from openagent_lsp.context.documents import DocumentStore
from openagent_lsp.context.languages import language_id_for_path, path_from_uri
from openagent_lsp.errors import GenerationCancelled, InvalidInputError, NoUsableAnswer, StorageError
from openagent_lsp.llm.base import BaseLLM, CancelToken
from openagent_lsp.logging import get_logger
from openagent_lsp.policy.types import Origin
from openagent_lsp.redaction import redact
from openagent_lsp.store.db import Store
from openagent_lsp.tools.base import ToolContext, ToolRegistry
from openagent_lsp.tools.guard import ToolGuard

if TYPE_CHECKING:
    from openagent_lsp.agent.core import Agent

log = get_logger(__name__)

SLASH_COMMANDS = {
    "/explain": "Explain what the selected code does.",
    "/fix": "Find and fix the bugs in the selected code. Show the corrected code.",
    "/test": "Write unit tests for the selected code.",
    "/doc": "Write a docstring for the selected code.",
    "/commit": "Write a concise git commit message (subject line, blank line, body) for this staged diff:",
}
RUN_COMMAND = "/run"
# Streamed pieces are sent at most this often: one notification per token floods the editor (and this
# server's event loop) under load, so a Stop arrives only after the answer ended.
DELTA_INTERVAL_S = 0.03
# Staged diffs beyond this are cut: the commit message needs the gist, and the prompt has a budget.
MAX_DIFF_CHARS = 12_000


@dataclass(frozen=True)
class ChatDelta:
    """One streamed piece of an answer; ``seq`` counts from 1 within one ``send``."""

    conversation_id: str
    seq: int
    text: str


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
    # The answer was given but the chat history could not keep it (database locked, read-only, disk full).
    history_error: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"conversationId": self.conversation_id, "text": self.text, "ok": self.ok, "error": self.error,
                "cancelled": self.cancelled, "durationMs": round(self.duration_ms, 1),
                "firstDeltaMs": None if self.first_delta_ms is None else round(self.first_delta_ms, 1),
                "toolCalls": self.tool_calls, "historyError": self.history_error}


class _HistoryWriter:
    """Runs store calls off the loop; a storage failure is kept (and logged), never allowed to lose the
    answer the user is waiting for: the turn completes and its result says the history failed."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.error = ""

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        if self.error:
            return None  # one failure per turn is enough; the rest would fail the same way
        try:
            return await asyncio.to_thread(fn, *args)
        except StorageError as exc:
            self.error = str(exc)
            log.warning("chat_history_failed", error=self.error)
            return None


class DeltaBatcher:
    """Coalesces streamed pieces into one delta per ``interval_s`` (the first piece goes out at once).
    Runs on the event loop, where the agent forwards its pieces."""

    def __init__(self, emit: Callable[[str], None], interval_s: float = DELTA_INTERVAL_S) -> None:
        self._emit = emit
        self._interval_s = interval_s
        self._buffer = ""
        self._last_flush = float("-inf")
        self._timer: asyncio.TimerHandle | None = None

    def add(self, text: str) -> None:
        self._buffer += text
        wait = self._last_flush + self._interval_s - time.monotonic()
        if wait <= 0:
            self.flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(wait, self.flush)

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._buffer:
            text, self._buffer = self._buffer, ""
            self._last_flush = time.monotonic()
            self._emit(text)


@dataclass(frozen=True)
class EditorSelection:
    """What the user refers to: the selected code (or the enclosing definition, or the whole file)."""

    uri: str
    code: str
    language: str


class ChatService:
    def __init__(
        self,
        store: Store,
        workspace: Path,
        documents: DocumentStore,
        *,
        make_agent: Callable[[], Agent],
        registry: ToolRegistry,
        guard: ToolGuard,
        staged_diff: Callable[[], str],
        undo: UndoService | None = None,
        prompt_preference: Callable[[], str] = lambda: "auto",
    ) -> None:
        self.store = store
        self.workspace = workspace
        self.documents = documents
        self._make_agent = make_agent
        self._registry = registry
        self._guard = guard
        self._staged_diff = staged_diff
        self._undo = undo
        self._prompt_preference = prompt_preference
        self._active: dict[str, CancelToken] = {}
        # The latest turns only: the status shows a median, and a long session must not grow this.
        self.first_delta_ms: deque[float] = deque(maxlen=1000)
        self._base_chat = BaseModelChat(workspace, documents, staged_diff)

    # -- conversations ---------------------------------------------------------------------------

    def active(self) -> list[str]:
        """Conversations with an answer in progress (a client shows Stop for these)."""
        return list(self._active)

    def cancel(self, conversation_id: str) -> bool:
        token = self._active.get(conversation_id)
        if token is None:
            return False
        token.cancel("cancelled by the user")
        return True

    def conversations(self) -> list[dict[str, Any]]:
        return [
            {"conversationId": c.id, "title": redact(c.title), "updatedAt": c.updated_at,
             "messages": c.message_count}
            for c in self.store.list_conversations(str(self.workspace))
        ]

    def history(self, conversation_id: str) -> list[dict[str, Any]]:
        """Shown back with secrets masked: a history view is screen-shared and copied more than the file."""
        messages = self.store.get_history(conversation_id)
        return [{"role": m.role, "content": redact(m.content), "createdAt": m.created_at} for m in messages]

    # -- one turn --------------------------------------------------------------------------------

    async def send(self, request: ChatRequest, on_delta: Callable[[ChatDelta], None],
                   cancel: CancelToken) -> ChatResult:
        started = time.monotonic()
        message = request.message.strip()
        is_run = message.startswith(RUN_COMMAND)
        # Fail before anything is stored: no model (still loading, failed), a selection we cannot read,
        # or a slash command without what it works on.
        agent = None if is_run else self._make_agent()
        selection = self.resolve_selection(request)
        # A base model (or one too small to follow a chat) cannot follow the agent's instructions: it
        # answers through completion-shaped prompts.
        base = agent is not None and uses_completion_prompts(agent.llm, self._prompt_preference())
        if base:
            self._check_slash(message, selection)
        elif agent is not None:
            message = await self._expand_slash(message, selection)
        history = _HistoryWriter(self.store)
        conversation_id = await history.run(self._conversation, request.conversation_id) or \
            request.conversation_id or uuid.uuid4().hex
        first: list[float] = []
        seq = 0

        def emit(text: str) -> None:
            nonlocal seq
            if not first:
                first.append((time.monotonic() - started) * 1000)
            seq += 1
            on_delta(ChatDelta(conversation_id, seq, text))

        batcher = DeltaBatcher(emit)
        self._active[conversation_id] = cancel
        turn = self._begin_turn(conversation_id, message)
        result: ChatResult | None = None
        try:
            if agent is None:
                result = await self._run_command(message[len(RUN_COMMAND):].strip(), conversation_id, batcher.add,
                                                 cancel, history)
            elif base:
                result = await self._ask_base_model(agent.llm, message, conversation_id, selection, batcher.add,
                                                    cancel, history)
            else:
                result = await self._ask_agent(agent, message, conversation_id, selection, batcher.add, cancel,
                                               history)
        finally:
            batcher.flush()
            self._active.pop(conversation_id, None)
            if turn is not None and self._undo is not None:
                # A turn that called no tool changed nothing: no second snapshot delays its answer.
                await self._undo.finish(turn, after=result is None or bool(result.tool_calls), keep=False)
        result.history_error = history.error
        result.duration_ms = (time.monotonic() - started) * 1000
        result.first_delta_ms = first[0] if first else None
        if first:
            self.first_delta_ms.append(first[0])
        return result

    def _begin_turn(self, conversation_id: str, message: str) -> asyncio.Task[Turn] | None:
        """Snapshot the workspace before a turn that may write; its writes wait for the snapshot."""
        if self._undo is None:
            return None
        label = " ".join(message.split())
        turn = self._undo.begin(conversation_id, label[:60] + ("…" if len(label) > 60 else ""))
        self._guard.hold_writes_until(turn)
        return turn

    def resolve_selection(self, request: ChatRequest) -> EditorSelection | None:
        """The code the request refers to: the selected text, the enclosing definition of an empty
        selection, a whole open document, or a file on disk the editor has not opened."""
        if not request.uri:
            return None
        doc = self.documents.find(request.uri)
        if doc is None:
            path = Path(path_from_uri(request.uri))
            if not path.is_file():
                raise InvalidInputError(f"uri: document not open and not a file: {request.uri}")
            with path.open(encoding="utf-8", errors="replace") as handle:
                text = handle.read(CODE_CONTEXT_CHARS)  # the prompt shows no more than this
            return EditorSelection(request.uri, text, language_id_for_path(str(path)) or "")
        if request.range is None:
            return EditorSelection(request.uri, doc.text, doc.language_id)
        rng = request.range.domain()
        start, end = doc.offset_at(rng.start), doc.offset_at(rng.end)
        code = doc.text[start:end] if end > start else find_target(doc, rng).text
        return EditorSelection(request.uri, code, doc.language_id)

    def _conversation(self, conversation_id: str | None) -> str:
        if conversation_id:
            return self.store.ensure_conversation(conversation_id, str(self.workspace))
        return self.store.create_conversation(str(self.workspace))

    def _check_slash(self, message: str, selection: EditorSelection | None) -> None:
        command = message.partition(" ")[0]
        if not command.startswith("/"):
            return
        if command not in SLASH_COMMANDS:
            raise InvalidInputError(
                f"message: unknown slash command {command}; use one of {', '.join([*SLASH_COMMANDS, RUN_COMMAND])}")
        if command != "/commit" and selection is None:
            raise InvalidInputError(f"{command} needs a selection: pass uri and range")

    async def _expand_slash(self, message: str, selection: EditorSelection | None) -> str:
        command, _, rest = message.partition(" ")
        if not command.startswith("/"):
            return message
        if command not in SLASH_COMMANDS:
            raise InvalidInputError(
                f"message: unknown slash command {command}; use one of {', '.join([*SLASH_COMMANDS, RUN_COMMAND])}")
        if command == "/commit":
            diff = await asyncio.to_thread(self._staged_diff)
            if not diff.strip():
                raise InvalidInputError("/commit: nothing is staged (git add some changes first)")
            return f"{SLASH_COMMANDS[command]}\n```diff\n{diff[:MAX_DIFF_CHARS]}\n```"
        if selection is None:
            raise InvalidInputError(f"{command} needs a selection: pass uri and range")
        extra = f" {rest}" if rest else ""
        return f"{SLASH_COMMANDS[command]}{extra}"

    async def _ask_agent(self, agent: Agent, message: str, conversation_id: str, selection: EditorSelection | None,
                         delta: Callable[[str], None], cancel: CancelToken, writer: _HistoryWriter) -> ChatResult:
        stored = await writer.run(self.store.get_history, conversation_id) or []
        history = [m.as_chat() for m in stored]
        context = ConversationContext(
            conversation_id=conversation_id, workspace=self.workspace, messages=history,
            uri=selection.uri if selection else None, code=selection.code if selection else None,
            selection=selection.code if selection else None, language=selection.language if selection else None,
        )
        reply = await agent.process_message(message, context, delta, cancel)
        await writer.run(self.store.add_message, conversation_id, "user", message)
        if reply.text:
            await writer.run(self.store.add_message, conversation_id, "assistant", reply.text)
        return ChatResult(conversation_id, reply.text, reply.ok, reply.error, reply.cancelled,
                          tool_calls=[{"name": c.name, "ok": c.ok, "error": c.error} for c in reply.tool_calls])

    async def _ask_base_model(self, llm: BaseLLM, message: str, conversation_id: str,
                              selection: EditorSelection | None, delta: Callable[[str], None],
                              cancel: CancelToken, writer: _HistoryWriter) -> ChatResult:
        """A turn for a base model: slash commands and questions through completion-shaped prompts; the
        first answer of a conversation says once what the model cannot do and which model would."""
        history = await writer.run(self.store.get_history, conversation_id) or []
        told = any(m.role == "assistant" and NOTE_MARKER in m.content for m in history)
        chosen = Selection(selection.uri, selection.code, selection.language) if selection else None
        ok, error = True, ""
        try:
            text = await self._base_chat.answer(llm, message, chosen, delta, cancel)
        except NoUsableAnswer as exc:
            ok, error, text = False, str(exc), str(exc)
            delta(text)
        except GenerationCancelled as exc:
            return ChatResult(conversation_id, "", False, f"cancelled: {exc}", cancelled=True)
        if not told:
            note = model_note(llm)
            delta(f"\n\n{note}")
            text = f"{text}\n\n{note}"
        await writer.run(self.store.add_message, conversation_id, "user", message)
        await writer.run(self.store.add_message, conversation_id, "assistant", text)
        return ChatResult(conversation_id, text, ok, error)

    async def _run_command(self, command: str, conversation_id: str, delta: Callable[[str], None],
                           cancel: CancelToken, writer: _HistoryWriter) -> ChatResult:
        """``/run <command>``: the user's own command, still through the policy (and approval)."""
        if not command:
            raise InvalidInputError("/run needs a command, e.g. /run pytest -q")
        tool = self._registry.get("shell.run")
        if tool is None:
            raise InvalidInputError("/run is not available: no shell tool")
        ctx = ToolContext(workspace=self.workspace, guard=self._guard, cancel=cancel, origin=Origin.USER)
        result = await tool.invoke({"command": command}, ctx)
        text = result.to_observation()
        delta(text)
        await writer.run(self.store.add_message, conversation_id, "user", f"{RUN_COMMAND} {command}")
        await writer.run(self.store.add_message, conversation_id, "assistant", text)
        return ChatResult(conversation_id, text, result.ok, result.error, cancel.cancelled,
                          tool_calls=[{"name": "shell.run", "ok": result.ok, "error": result.error}])
