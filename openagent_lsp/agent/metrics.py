"""Per-message figures (in ``AgentReply.metrics``) and running totals (``AgentMetrics``).

Kept local: nothing here leaves the machine. The totals feed the status notification and ``doctor``.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class MessageMetrics:
    ok: bool
    duration_ms: float
    steps: int
    tool_calls: int
    tool_errors: int
    cancelled: bool = False
    error: str = ""
    tools: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "duration_ms": round(self.duration_ms, 1),
            "steps": self.steps,
            "tool_calls": self.tool_calls,
            "tool_errors": self.tool_errors,
            "cancelled": self.cancelled,
            "error": self.error,
            "tools": list(self.tools),
        }


class AgentMetrics:
    """Thread-safe running totals over all messages an ``Agent`` processed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.messages = 0
        self.succeeded = 0
        self.failed = 0
        self.cancelled = 0
        self.steps = 0
        self.tool_calls = 0
        self.tool_errors = 0
        self.total_duration_ms = 0.0
        self.by_tool: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()

    def record(self, m: MessageMetrics) -> None:
        with self._lock:
            self.messages += 1
            if m.cancelled:
                self.cancelled += 1
            elif m.ok:
                self.succeeded += 1
            else:
                self.failed += 1
                self.errors[m.error.split(":", 1)[0] or "error"] += 1
            self.steps += m.steps
            self.tool_calls += m.tool_calls
            self.tool_errors += m.tool_errors
            self.total_duration_ms += m.duration_ms
            self.by_tool.update(m.tools)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            avg = self.total_duration_ms / self.messages if self.messages else 0.0
            return {
                "messages": self.messages,
                "succeeded": self.succeeded,
                "failed": self.failed,
                "cancelled": self.cancelled,
                "steps": self.steps,
                "tool_calls": self.tool_calls,
                "tool_errors": self.tool_errors,
                "avg_duration_ms": round(avg, 1),
                "by_tool": dict(self.by_tool),
                "errors": dict(self.errors),
            }
