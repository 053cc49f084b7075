"""Tool base types: the result shape, the per-call context and the registry the agent prompts from.

Tools never decide on their own whether they may act: every command or path goes through the
``ToolGuard`` carried in ``ToolContext``. Tool *arguments* are written by the model and are therefore
untrusted input; they are validated by the tool's pydantic model and never carry approval.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from pydantic import BaseModel, ValidationError

from openagent_lsp.errors import (
    GenerationCancelled,
    InvalidInputError,
    OpenAgentError,
    PolicyViolationError,
    ToolError,
)
from openagent_lsp.llm.base import CancelToken
from openagent_lsp.policy.types import Origin

if TYPE_CHECKING:
    from openagent_lsp.tools.guard import Authorization, ToolGuard


@dataclass
class ToolResult:
    """What a tool call produced. ``ok`` is False for refusals and failures; ``error`` says why."""

    ok: bool
    output: str = ""
    error: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_observation(self) -> str:
        """Text fed back to the model: output, then the error if any."""
        parts = []
        if self.output:
            parts.append(self.output)
        if self.error:
            parts.append(f"ERROR: {self.error}")
        if not parts:
            parts.append("(no output)" if self.ok else "ERROR: failed")
        return "\n".join(parts)


@runtime_checkable
class EditorBridge(Protocol):
    """Lets tools change documents that are open in the editor through the editor itself.

    Writing such a file on disk would race the user's unsaved buffer; the LSP layer implements this
    with ``workspace/applyEdit`` so the change lands in the buffer (and its undo history).
    ``path`` is always an absolute, resolved path inside the workspace.

    Optionally, a bridge may also define ``get_text(path) -> str | None`` returning the buffer text of
    an open document; ``files.read`` then shows the user's unsaved text instead of the stale disk copy.
    """

    def is_open(self, path: Path) -> bool: ...

    async def apply_full_text(self, path: Path, new_text: str) -> bool: ...


@dataclass
class ToolContext:
    """Everything a tool needs for one call. Built by the agent (or the LSP layer), never by the model."""

    workspace: Path
    guard: ToolGuard
    editor: EditorBridge | None = None
    cancel: CancelToken | None = None
    # Who wrote the call: the agent (the model, which text it read may have steered) or the user
    # (``/run``). The approval prompt says which.
    origin: Origin = Origin.AGENT

    def check_cancelled(self, auth: Authorization | None = None) -> None:
        """Called between authorization and acting: a cancelled request must not start side effects.

        With ``auth``, the audit log records that the authorized call did not run.
        """
        if self.cancel is not None and self.cancel.cancelled:
            if auth is not None:
                self.guard.record_result(auth, ok=False, error="cancelled before running")
            raise GenerationCancelled(self.cancel.reason or "cancelled")


class Tool(ABC):
    """One tool. Subclasses set the class attributes and implement ``run``."""

    name: ClassVar[str]
    description: ClassVar[str]
    input_model: ClassVar[type[BaseModel]]
    # Words that make this tool relevant to a user message (see agent/selection.py).
    keywords: ClassVar[tuple[str, ...]] = ()

    def parse_args(self, raw: Any) -> BaseModel:
        """Validate model-written arguments; the error names the offending fields."""
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise InvalidInputError(f"{self.name}: arguments must be a JSON object, got {type(raw).__name__}")
        try:
            return self.input_model.model_validate(raw)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or '(args)'}: {err['msg']}" for err in exc.errors()
            )
            raise InvalidInputError(f"{self.name}: invalid arguments: {problems}") from exc

    @abstractmethod
    async def run(self, args: Any, ctx: ToolContext) -> ToolResult:
        """Execute with validated ``args``; may raise ToolError / PolicyViolationError."""

    async def invoke(self, raw_args: Any, ctx: ToolContext) -> ToolResult:
        """Validate then run, turning expected failures into a failed ``ToolResult``.

        Cancellation propagates (the caller must stop); everything else the model could cause
        becomes an observation so the loop can continue.
        """
        try:
            args = self.parse_args(raw_args)
        except InvalidInputError as exc:
            return ToolResult(ok=False, error=str(exc), metadata={"reason": "invalid_arguments"})
        try:
            return await self.run(args, ctx)
        except PolicyViolationError as exc:
            return ToolResult(ok=False, error=str(exc), metadata={"reason": "denied"})
        except (ToolError, InvalidInputError) as exc:
            return ToolResult(ok=False, error=str(exc), metadata={"reason": "tool_error"})
        except OpenAgentError as exc:
            return ToolResult(ok=False, error=str(exc), metadata={"reason": "error"})

    def schema(self) -> dict[str, Any]:
        return self.input_model.model_json_schema()

    def describe(self) -> str:
        """One prompt entry: name, description and the compact JSON schema of the arguments."""
        schema = self.schema()
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        compact = {
            key: {
                k: v
                for k, v in value.items()
                if k in ("type", "description", "enum", "default", "items", "anyOf")
            }
            | ({"required": True} if key in required else {})
            for key, value in props.items()
        }
        return f"- {self.name}: {self.description}\n  args: {json.dumps(compact, separators=(',', ':'))}"


class ToolRegistry:
    """Name → tool. The agent prompts with (a selection of) these and dispatches parsed calls here."""

    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        for tool in tools:
            self.register(tool)

    def register(self, tool: Tool) -> None:
        if tool.name in self._tools:
            raise ValueError(f"tool already registered: {tool.name}")
        self._tools[tool.name] = tool

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __len__(self) -> int:
        return len(self._tools)

    def names(self) -> list[str]:
        return list(self._tools)

    def tools(self) -> list[Tool]:
        return list(self._tools.values())

    def schemas(self, names: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """Machine-readable descriptions (name, description, JSON schema of the input)."""
        chosen = self._pick(names)
        return [
            {"name": t.name, "description": t.description, "input_schema": t.schema()} for t in chosen
        ]

    def describe(self, names: Iterable[str] | None = None) -> str:
        """Prompt text listing the given tools (all when ``names`` is None)."""
        return "\n".join(t.describe() for t in self._pick(names))

    def _pick(self, names: Iterable[str] | None) -> list[Tool]:
        if names is None:
            return self.tools()
        return [self._tools[n] for n in names if n in self._tools]
