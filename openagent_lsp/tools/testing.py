"""Small, deterministic stand-ins for tests: a scripted approver, an in-memory audit log and a toy
policy engine. Shipped in the package so unit and integration tests (pytest-lsp) can share them;
nothing in production imports this module.
"""

from __future__ import annotations

import asyncio
import os
import shlex
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from openagent_lsp.policy.types import ApprovalAnswer, ApprovalRequest, Decision, FileOp, Risk, Verdict


class ScriptedApprover:
    """Answers approval requests from a script: answers in order, then ``default``.

    An entry may be an ``ApprovalAnswer``, an exception instance (raised), or ``"hang"`` (never answers).
    """

    def __init__(self, answers: Iterable[Any] = (), default: ApprovalAnswer = ApprovalAnswer.DENY) -> None:
        self.answers = list(answers)
        self.default = default
        self.requests: list[ApprovalRequest] = []

    async def ask(self, request: ApprovalRequest) -> ApprovalAnswer:
        self.requests.append(request)
        answer = self.answers.pop(0) if self.answers else self.default
        if isinstance(answer, BaseException):
            raise answer
        if answer == "hang":
            await asyncio.Event().wait()
        return answer  # type: ignore[no-any-return]


class MemoryAuditLog:
    """Keeps records in a list; ``fail=True`` makes ``append`` raise (to test fail-closed paths)."""

    def __init__(self, fail: bool = False) -> None:
        self.records: list[dict[str, Any]] = []
        self.fail = fail

    def append(self, record: dict[str, Any]) -> dict[str, Any]:
        if self.fail:
            raise OSError("audit log unavailable")
        stored = {"seq": len(self.records) + 1, **record}
        self.records.append(stored)
        return stored

    def events(self, event: str) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("event") == event]


class FakePolicyEngine:
    """A toy PolicyEngine with the real one's API, for testing the guard and tools in isolation.

    Commands: the first word is the program. Programs in ``deny`` → DENY; in ``allow`` → ALLOW; in
    ``critical`` → REQUIRE_APPROVAL with no grant key (cannot be granted permanently); anything else →
    REQUIRE_APPROVAL with grant key ``"<program> <first argument>"`` (the "shape").
    Paths: outside the workspace (after resolving) → DENY; otherwise ``path_verdicts[op]``.
    """

    def __init__(
        self,
        *,
        allow: Iterable[str] = ("echo", "true", "ls", "cat", "pwd"),
        deny: Iterable[str] = ("rm", "sudo", "dd", "mkfs"),
        critical: Iterable[str] = ("curl", "wget"),
        path_verdicts: dict[FileOp, Verdict] | None = None,
        on_check: Callable[[str], None] | None = None,
    ) -> None:
        self.allow = set(allow)
        self.deny = set(deny)
        self.critical = set(critical)
        self.path_verdicts = path_verdicts or {
            FileOp.READ: Verdict.ALLOW,
            FileOp.LIST: Verdict.ALLOW,
            FileOp.WRITE: Verdict.ALLOW,
            FileOp.DELETE: Verdict.REQUIRE_APPROVAL,
        }
        self.on_check = on_check
        self.checked: list[str] = []

    @staticmethod
    def shape(command: str) -> tuple[str, str]:
        try:
            words = shlex.split(command)
        except ValueError:
            return "", ""
        if not words:
            return "", ""
        return os.path.basename(words[0]), (words[1] if len(words) > 1 else "")

    def check_command(self, command: str, cwd: Path, workspace: Path) -> Decision:
        self.checked.append(command)
        if self.on_check is not None:
            self.on_check(command)
        program, first = self.shape(command)
        if not program:
            return Decision(Verdict.REQUIRE_APPROVAL, Risk.HIGH, "unparsable command", "fake.unparsable")
        if program in self.deny:
            return Decision(Verdict.DENY, Risk.CRITICAL, f"{program} is denied", "fake.deny")
        if program in self.allow:
            return Decision(Verdict.ALLOW, Risk.LOW, f"{program} is allowed", "fake.allow", grant_key=program)
        if program in self.critical:
            reason = f"{program} needs approval"
            return Decision(Verdict.REQUIRE_APPROVAL, Risk.CRITICAL, reason, "fake.critical")
        key = f"{program} {first}".strip()
        return Decision(Verdict.REQUIRE_APPROVAL, Risk.MEDIUM, f"{program} needs approval", "fake.ask", key)

    def grant_key_matches(self, command: str, grant_key: str, cwd: Path, workspace: Path) -> bool:
        program, first = self.shape(command)
        if not program or program in self.deny or program in self.critical:
            return False
        return f"{program} {first}".strip() == grant_key

    def check_path(self, op: FileOp, path: str, workspace: Path) -> Decision:
        root = Path(workspace).resolve()
        p = Path(os.path.expanduser(path))
        if not p.is_absolute():
            p = root / p
        resolved = p.resolve()
        if not resolved.is_relative_to(root):
            return Decision(Verdict.DENY, Risk.HIGH, f"{resolved} is outside the workspace", "fake.outside")
        verdict = self.path_verdicts.get(op, Verdict.REQUIRE_APPROVAL)
        key = f"{op.value} {resolved.relative_to(root)}" if verdict is Verdict.REQUIRE_APPROVAL else ""
        risk = Risk.LOW if verdict is Verdict.ALLOW else Risk.MEDIUM
        return Decision(verdict, risk, op.value, "fake.path", grant_key=key)
