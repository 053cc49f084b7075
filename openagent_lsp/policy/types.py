"""Value types shared by the PolicyEngine, the tools, the agent and the approval UI.

Kept free of any protocol or engine logic so every layer can import them cheaply.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
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
class BoundFile:
    """A file whose content a decision covers (a script or module the command runs), by hash."""

    path: Path
    sha256: str

    def unchanged(self) -> bool:
        return file_sha256(self.path) == self.sha256


def file_sha256(path: Path) -> str:
    """Content hash of a regular file ("" if it cannot be read)."""
    try:
        h = hashlib.sha256()
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()
    except OSError:
        return ""


@dataclass(frozen=True)
class Decision:
    """What the PolicyEngine decided about one command or one file operation."""

    verdict: Verdict
    risk: Risk
    reason: str
    rule: str
    # The exact command an "always allow" grant stores: resolved programs, every argument and
    # variable value, working directory, and the content hash of every script it runs.
    # Empty when the subject cannot be granted permanently (DENY-level, unparsable, protected path...).
    grant_key: str = ""
    details: tuple[str, ...] = field(default_factory=tuple)
    # The command runs workspace code: the caller must run it inside the OS sandbox. (Where there is
    # no sandbox the engine already turned such an ALLOW into REQUIRE_APPROVAL.)
    requires_sandbox: bool = False
    # git writes its own repository (index, refs, stash): the sandbox must leave .git writable for
    # this command line, which then consists of git commands only.
    git_write: bool = False
    # Scripts and modules the command runs, hashed when decided: re-check right before running.
    bound_files: tuple[BoundFile, ...] = ()
    # The command talks to the network (fetches, installs, pushes): the sandbox gives it network only
    # when the user approved it with a prompt that said so (never on a plain ALLOW).
    needs_network: bool = False
    # What an "always allow" grant of ``grant_key`` covers, in words for the approval prompt.
    grant_summary: str = ""
    # The command writes editor, git or CI configuration (the prompt said so): an approved run may
    # change it; any other run finds that configuration read-only in the sandbox.
    writes_protected: bool = False

    def content_unchanged(self) -> bool:
        """True when every script this decision covers still has the content it was decided on.

        The guard calls this right before running an approved or granted command: a script changed
        between the decision (or the approval prompt) and the run is not what was approved.
        """
        return all(b.unchanged() for b in self.bound_files)

    def to_json(self) -> dict[str, object]:
        return {
            "decision": self.verdict.value,
            "risk": self.risk.value,
            "reason": self.reason,
            "rule": self.rule,
            "requires_sandbox": self.requires_sandbox,
            "git_write": self.git_write,
            "needs_network": self.needs_network,
        }


class Origin(enum.StrEnum):
    """Who wrote a tool call. A prompt-injected model writes commands too: the user must see that the
    AI agent, not they themselves, is asking."""

    AGENT = "agent"
    USER = "user"


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
    origin: Origin = Origin.AGENT
    # What the OS sandbox will let the command touch (the prompt's "Sandbox:" line).
    sandbox: str = ""


class Approver(Protocol):
    """Asks the user. Implemented over window/showMessageRequest in server/approvals.py.

    Must return DENY when the user dismisses the prompt, does not answer in time,
    or the client cannot show prompts.
    """

    async def ask(self, request: ApprovalRequest) -> ApprovalAnswer: ...
