"""The agent loop: prompt → model → parse tool calls → guard + run tools → observations → … → answer.

Why it looks like this:

* The model only *proposes* calls as text. Parsing (``agent/protocol.py``) turns malformed ones into
  error observations; arguments are validated by each tool's pydantic model; everything that runs
  passes the ``ToolGuard``. Nothing the model writes can approve a call.
* The loop is bounded in steps (``max_steps``) and wall time (``deadline_s``) so a confused model cannot
  spin forever.
* Generation is blocking (backends run in threads), so each turn streams from ``llm.stream`` in a
  worker thread and forwards pieces to the event loop through a queue. A linked ``CancelToken`` stops
  the backend between tokens on user cancellation, on the deadline, or when the awaiting task is
  cancelled; the consumer stops forwarding at once.
* ``on_delta`` receives the visible text: the final answer, plus any short prose the model writes
  before a tool call (tool-call syntax is filtered out). ``AgentReply.text`` is the final answer only.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from openagent_lsp.agent.context import ContextManager, ConversationContext, Message
from openagent_lsp.agent.metrics import AgentMetrics, MessageMetrics
from openagent_lsp.agent.prompts import build_system_prompt, build_user_message
from openagent_lsp.agent.protocol import (
    STOP_SEQUENCES,
    StreamFilter,
    ToolCall,
    format_observation,
    parse_turn,
)
from openagent_lsp.agent.selection import select_tools
from openagent_lsp.errors import GenerationCancelled, InvalidInputError
from openagent_lsp.llm.base import BaseLLM, CancelToken, GenerationRequest
from openagent_lsp.logging import get_logger
from openagent_lsp.tools.base import EditorBridge, ToolContext, ToolRegistry, ToolResult
from openagent_lsp.tools.guard import ToolGuard

log = get_logger(__name__)

T = TypeVar("T")
_POLL_S = 0.05


class DeadlineExceeded(Exception):
    """Internal: the message's time budget ran out."""


@dataclass
class AgentSettings:
    max_steps: int = 8
    deadline_s: float = 300.0
    max_new_tokens: int = 1024
    temperature: float = 0.2
    # Context window of the model; the prompt gets what is left after ``max_new_tokens``.
    context_tokens: int = 8192
    max_tools_in_prompt: int = 6
    select_tools: bool = True
    max_calls_per_step: int = 4
    max_tool_output_chars: int = 6000
    # Small local models loop in free text; a mild penalty keeps answers moving.
    repetition_penalty: float = 1.15


@dataclass
class ToolCallRecord:
    name: str
    args: dict[str, Any]
    ok: bool
    error: str = ""
    duration_ms: float = 0.0
    executed: bool = True
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class AgentReply:
    text: str
    ok: bool
    error: str = ""
    cancelled: bool = False
    steps: int = 0
    tool_calls: list[ToolCallRecord] = field(default_factory=list)
    duration_ms: float = 0.0
    tools_offered: list[str] = field(default_factory=list)
    transcript: str = ""  # everything streamed through on_delta
    metrics: dict[str, Any] = field(default_factory=dict)


class _LinkedCancelToken(CancelToken):
    """Cancelled when itself or its parent (the caller's token) is cancelled."""

    def __init__(self, parent: CancelToken | None) -> None:
        super().__init__()
        self._parent = parent

    @property
    def cancelled(self) -> bool:
        return self._event.is_set() or (self._parent is not None and self._parent.cancelled)


class Agent:
    """Answers one message at a time for one workspace (the guard's)."""

    def __init__(
        self,
        llm: BaseLLM,
        registry: ToolRegistry,
        guard: ToolGuard,
        settings: AgentSettings | None = None,
        *,
        editor: EditorBridge | None = None,
        metrics: AgentMetrics | None = None,
    ) -> None:
        self.llm = llm
        self.registry = registry
        self.guard = guard
        self.settings = settings or AgentSettings()
        self.editor = editor
        self.metrics = metrics or AgentMetrics()
        budget = max(self.settings.context_tokens - self.settings.max_new_tokens, 256)
        self.context_manager = ContextManager(
            llm.count_tokens, budget, max_tool_output_chars=self.settings.max_tool_output_chars
        )

    async def process_message(
        self,
        message: str,
        context: ConversationContext,
        on_delta: Callable[[str], None] | None = None,
        cancel: CancelToken | None = None,
    ) -> AgentReply:
        """Run the tool-calling loop for ``message``; appends the user message and answer to the context."""
        started = time.monotonic()
        settings = self.settings
        deadline = started + settings.deadline_s
        if Path(context.workspace).resolve() != self.guard.workspace:
            raise InvalidInputError(
                f"workspace: {context.workspace} does not match the agent's workspace {self.guard.workspace}"
            )
        if not message.strip():
            raise InvalidInputError("message: must not be empty")

        offered = (
            select_tools(
                message,
                self.registry,
                max_tools=settings.max_tools_in_prompt,
                has_file_context=bool(context.uri or context.selection),
            )
            if settings.select_tools
            else self.registry.names()
        )
        system = build_system_prompt(str(self.guard.workspace), self.registry.describe(offered))
        history: list[Message] = [dict(m) for m in context.messages]
        turn: list[Message] = [{"role": "user", "content": build_user_message(message, context)}]
        records: list[ToolCallRecord] = []
        streamed: list[str] = []

        def emit(text: str) -> None:
            if not text:
                return
            streamed.append(text)
            if on_delta is not None:
                try:
                    on_delta(text)
                except Exception as exc:  # a broken UI callback must not kill the answer
                    log.warning("on_delta_failed", error=repr(exc))

        reply = AgentReply(text="", ok=False, tools_offered=list(offered))
        steps = 0
        try:
            final: str | None = None
            while steps < settings.max_steps:
                steps += 1
                if cancel is not None and cancel.cancelled:
                    raise GenerationCancelled(cancel.reason or "cancelled")
                if time.monotonic() >= deadline:
                    raise DeadlineExceeded
                prompt = self.context_manager.fit([{"role": "system", "content": system}, *history, *turn])
                sink = _TurnSink(StreamFilter(), emit, separate=bool(streamed))
                text = await self._generate(prompt, sink, cancel, deadline)
                sink.flush()
                parsed = parse_turn(text, max_calls=settings.max_calls_per_step)
                if not parsed.has_tool_syntax:
                    final = text.strip()
                    break
                turn.append({"role": "assistant", "content": parsed.transcript})
                observations: list[str] = [
                    format_observation("tool call", False, f"{err}. Nothing was executed; fix the call.")
                    for err in parsed.errors
                ]
                for call in parsed.calls:
                    result = await self._run_call(call, cancel, deadline, records)
                    observations.append(format_observation(call.name, result.ok, result.to_observation()))
                turn.append({"role": "user", "content": "\n\n".join(observations)})
            if final is None:
                reply.error = f"step limit reached ({settings.max_steps} steps) without a final answer"
                final = "I stopped before finishing: " + reply.error + "."
                emit(("\n\n" if streamed else "") + final)
            else:
                reply.ok = True
            reply.text = final
        except GenerationCancelled as exc:
            reply.cancelled, reply.error = True, f"cancelled: {exc}"
        except asyncio.CancelledError:
            reply.cancelled, reply.error = True, "cancelled"
            self._finish(reply, started, steps, records, streamed)
            raise
        except DeadlineExceeded:
            reply.error = f"deadline: no answer within {settings.deadline_s:g} s"
        except Exception as exc:  # a backend failure ends this message, never the server
            log.exception("agent_failed", conversation_id=context.conversation_id)
            reply.error = f"error: {exc}"

        self._finish(reply, started, steps, records, streamed)
        context.messages.append({"role": "user", "content": turn[0]["content"]})
        if reply.ok:
            context.messages.append({"role": "assistant", "content": reply.text})
        log.info(
            "agent_message",
            conversation_id=context.conversation_id,
            ok=reply.ok,
            duration_ms=round(reply.duration_ms, 1),
            steps=reply.steps,
            tool_calls=len(records),
            error=reply.error,
        )
        return reply

    def _finish(
        self,
        reply: AgentReply,
        started: float,
        steps: int,
        records: list[ToolCallRecord],
        streamed: list[str],
    ) -> None:
        reply.steps = steps
        reply.tool_calls = records
        reply.duration_ms = (time.monotonic() - started) * 1000
        reply.transcript = "".join(streamed)
        m = MessageMetrics(
            ok=reply.ok,
            duration_ms=reply.duration_ms,
            steps=steps,
            tool_calls=len(records),
            tool_errors=sum(1 for r in records if not r.ok),
            cancelled=reply.cancelled,
            error=reply.error,
            tools=[r.name for r in records],
        )
        reply.metrics = m.as_dict()
        self.metrics.record(m)

    async def _run_call(
        self, call: ToolCall, cancel: CancelToken | None, deadline: float, records: list[ToolCallRecord]
    ) -> ToolResult:
        """Validate, guard and run one call; the record is kept even when the call is interrupted."""
        started = time.monotonic()
        tool = self.registry.get(call.name)
        if tool is None:
            known = ", ".join(self.registry.names())
            error = f"unknown tool {call.name!r} (available: {known}); nothing was executed"
            records.append(ToolCallRecord(call.name, call.args, ok=False, error=error, executed=False))
            return ToolResult(ok=False, error=error)
        ctx = ToolContext(workspace=self.guard.workspace, guard=self.guard, editor=self.editor, cancel=cancel)
        try:
            result = await _await_bounded(tool.invoke(call.args, ctx), cancel, deadline)
        except (DeadlineExceeded, GenerationCancelled, asyncio.CancelledError) as exc:
            reason = "time budget ran out" if isinstance(exc, DeadlineExceeded) else "cancelled"
            records.append(ToolCallRecord(call.name, call.args, ok=False, error=f"interrupted: {reason}",
                                          duration_ms=(time.monotonic() - started) * 1000))
            raise
        records.append(
            ToolCallRecord(
                name=call.name,
                args=call.args,
                ok=result.ok,
                error=result.error,
                duration_ms=(time.monotonic() - started) * 1000,
                executed=result.metadata.get("reason") != "invalid_arguments",
                metadata=dict(result.metadata),
            )
        )
        return result

    async def _generate(
        self,
        messages: list[Message],
        sink: Callable[[str], None],
        cancel: CancelToken | None,
        deadline: float,
    ) -> str:
        """Stream one model turn in a worker thread; returns the full text of the turn."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        token = _LinkedCancelToken(cancel)
        settings = self.settings

        def post(item: tuple[str, Any]) -> None:
            with contextlib.suppress(RuntimeError):  # loop already closed
                loop.call_soon_threadsafe(queue.put_nowait, item)

        def worker() -> None:
            try:
                request = GenerationRequest(
                    messages=messages,
                    max_new_tokens=settings.max_new_tokens,
                    temperature=settings.temperature,
                    stop=list(STOP_SEQUENCES),
                    repetition_penalty=settings.repetition_penalty,
                )
                stream = self.llm.stream(request, token)
                try:
                    for piece in stream:
                        if token.cancelled:
                            break
                        post(("piece", piece))
                finally:
                    close = getattr(stream, "close", None)
                    if close is not None:
                        with contextlib.suppress(Exception):
                            close()
            except BaseException as exc:
                post(("error", exc))
            finally:
                post(("end", None))

        thread = threading.Thread(target=worker, name="agent-generate", daemon=True)
        thread.start()
        pieces: list[str] = []
        try:
            while True:
                if cancel is not None and cancel.cancelled:
                    raise GenerationCancelled(cancel.reason or "cancelled")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise DeadlineExceeded
                try:
                    # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation
                    # that arrives together with a queue item, and the answer would stream on.
                    async with asyncio.timeout(min(_POLL_S, remaining)):
                        kind, value = await queue.get()
                except TimeoutError:
                    continue
                if kind == "piece":
                    if cancel is not None and cancel.cancelled:
                        raise GenerationCancelled(cancel.reason or "cancelled")
                    pieces.append(value)
                    sink(value)
                elif kind == "error":
                    raise value
                else:
                    break
        finally:
            token.cancel("agent stopped")  # no-op after a normal end; stops the backend otherwise
        text = "".join(pieces)
        if cancel is not None and cancel.cancelled:
            raise GenerationCancelled(cancel.reason or "cancelled")
        return text


class _TurnSink:
    """Per-turn stream consumer: filters tool-call syntax and separates prose of successive turns."""

    def __init__(self, stream_filter: StreamFilter, emit: Callable[[str], None], *, separate: bool) -> None:
        self.filter = stream_filter
        self.emit = emit
        self.separate = separate

    def __call__(self, piece: str) -> None:
        self._out(self.filter.feed(piece))

    def flush(self) -> None:
        self._out(self.filter.flush())

    def _out(self, text: str) -> None:
        if not text:
            return
        if self.separate:
            text = text.lstrip()
            if not text:
                return
            self.separate = False
            text = "\n\n" + text
        self.emit(text)


async def _await_bounded(awaitable: Awaitable[T], cancel: CancelToken | None, deadline: float) -> T:
    """Await ``awaitable`` but stop it (task cancel → tools kill their processes) on cancel or deadline."""
    task = asyncio.ensure_future(awaitable)
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                await _cancel_task(task)
                raise DeadlineExceeded
            done, _ = await asyncio.wait({task}, timeout=min(_POLL_S, remaining))
            if done:
                return task.result()
            if cancel is not None and cancel.cancelled:
                await _cancel_task(task)
                raise GenerationCancelled(cancel.reason or "cancelled")
    except asyncio.CancelledError:
        await _cancel_task(task)
        raise


async def _cancel_task(task: asyncio.Future[Any]) -> None:
    task.cancel()
    with contextlib.suppress(BaseException):
        await task
