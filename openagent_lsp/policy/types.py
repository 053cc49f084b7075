"""Value types shared by the PolicyEngine, the tools, the agent and the approval UI.

Kept free of any protocol or engine logic so every layer can import them cheaply.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Protocol


class Verdict(enum.StrEnum):
    ALLOW = "allow"
    DENY = "deny"
    REQUIRE_APPROVAL = "require_approval"


class Risk(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return ["low", "medium", "high", "critical"].index(self.value)


class ToolKind(enum.StrEnum):
    """What a guarded call does: run a command, or touch a file. Grants and prompts are kept per kind."""

    COMMAND = "command"
    FILE = "file"


class FileOp(enum.StrEnum):
    READ = "read"
    WRITE = "write"
    DELETE = "delete"
    LIST = "list"


@dataclass(frozen=True)
class Decision:
    """What the PolicyEngine decided about one command or one file operation."""

    verdict: Verdict
    risk: Risk
    reason: str
    rule: str
    # For commands: a normalised shape ("git status", "pytest <args>") used to scope "always allow" grants.
    # Empty when the subject cannot be granted permanently (DENY-level, unparsable, ...).
    grant_key: str = ""
    details: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, object]:
        return {
            "decision": self.verdict.value,
            "risk": self.risk.value,
            "reason": self.reason,
            "rule": self.rule,
        }


class ApprovalAnswer(enum.StrEnum):
    RUN_ONCE = "run_once"
    ALWAYS_ALLOW = "always_allow"
    DENY = "deny"


@dataclass(frozen=True)
class ApprovalRequest:
    """What the user is asked: the exact subject (command or path), the risk and why."""

    kind: ToolKind
    subject: str  # the exact command line, or "write /abs/path"
    decision: Decision
    workspace: str


class Approver(Protocol):
    """Asks the user. Implemented over window/showMessageRequest in server/approvals.py.

    Must return DENY when the user dismisses the prompt, does not answer in time,
    or the client cannot show prompts.
    """

    async def ask(self, request: ApprovalRequest) -> ApprovalAnswer: ...
