"""The one gate every tool call passes through before it touches the system.

Why a single gate: approval must be enforced where the model cannot reach it. Tool arguments are
written by the model, so nothing in them (no ``confirm: true``) can approve anything; only the
PolicyEngine's verdict, a stored "always allow" grant that the engine itself says matches, or the
user's answer through the ``Approver`` can let a call run. Everything fails closed: an engine crash,
an approver exception or timeout, an unexpected answer, or an audit log that cannot be written
all mean "do not run".

Every decision and every outcome (exit code, error) is appended to the audit log, linked by a
``call_id`` so the chain shows what was asked, what was decided and what happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from openagent_lsp.errors import PolicyViolationError
from openagent_lsp.logging import get_logger
from openagent_lsp.policy.types import (
    ApprovalAnswer,
    ApprovalRequest,
    Approver,
    Decision,
    FileOp,
    Origin,
    Risk,
    ToolKind,
    Verdict,
)

if TYPE_CHECKING:
    from openagent_lsp.tools.confinement import Confinement

log = get_logger(__name__)

class PolicyEngineLike(Protocol):
    """The subset of ``openagent_lsp.policy.engine.PolicyEngine`` the guard relies on."""

    def check_command(self, command: str, cwd: Path, workspace: Path) -> Decision: ...

    def check_path(self, op: FileOp, path: str, workspace: Path) -> Decision: ...

    def grant_key_matches(self, command: str, grant_key: str, cwd: Path, workspace: Path) -> bool: ...


class AuditLogLike(Protocol):
    """The subset of ``openagent_lsp.policy.audit.AuditLog`` the guard relies on.

    A log may also offer ``blocked_reason() -> str``: non-empty while it failed verification and
    the user has not acknowledged it; nothing runs meanwhile.
    """

    def append(self, record: dict[str, Any]) -> dict[str, Any]: ...


class GrantStore(Protocol):
    """Persistent "always allow" grants, scoped per workspace (implemented by ``store.db.Store``)."""

    def list_grants(self, workspace: str, kind: ToolKind = ToolKind.COMMAND) -> list[str]: ...

    def add_grant(self, workspace: str, grant_key: str, kind: ToolKind = ToolKind.COMMAND) -> None: ...


class InMemoryGrantStore:
    """Grants that live as long as the process; for tests and for running without a database."""

    def __init__(self) -> None:
        self._grants: dict[tuple[str, ToolKind], list[str]] = {}

    def list_grants(self, workspace: str, kind: ToolKind = ToolKind.COMMAND) -> list[str]:
        return list(self._grants.get((workspace, kind), []))

    def add_grant(self, workspace: str, grant_key: str, kind: ToolKind = ToolKind.COMMAND) -> None:
        keys = self._grants.setdefault((workspace, kind), [])
        if grant_key not in keys:
            keys.append(grant_key)


class Outcome(StrEnum):
    """How the guard concluded; only the first four let the call run."""

    ALLOWED = "allowed"  # policy verdict ALLOW
    GRANTED = "granted"  # REQUIRE_APPROVAL, matched a stored "always allow" grant
    APPROVED_ONCE = "approved_once"  # user answered RUN_ONCE
    APPROVED_ALWAYS = "approved_always"  # user answered ALWAYS_ALLOW (grant stored when grantable)
    DENIED = "denied"  # policy verdict DENY
    REJECTED = "rejected"  # user answered DENY
    APPROVAL_FAILED = "approval_failed"  # approver raised, timed out or answered nonsense
    ERROR = "error"  # engine crashed or the audit log could not record the decision

    @property
    def runs(self) -> bool:
        return self in _RUNS


_RUNS = frozenset({Outcome.ALLOWED, Outcome.GRANTED, Outcome.APPROVED_ONCE, Outcome.APPROVED_ALWAYS})


@dataclass(frozen=True)
class Authorization:
    """A policy ``Decision`` plus what the guard concluded from it."""

    kind: ToolKind
    subject: str
    decision: Decision
    outcome: Outcome
    reason: str
    call_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def allowed(self) -> bool:
        return self.outcome.runs

    @property
    def approved_by_user(self) -> bool:
        """The user said yes to this call's prompt (now or as a stored grant)."""
        return self.outcome in (Outcome.APPROVED_ONCE, Outcome.APPROVED_ALWAYS, Outcome.GRANTED)

    @property
    def network(self) -> bool:
        """The command gets the network: it needs it and a prompt that said so was approved."""
        return self.decision.needs_network and self.approved_by_user

    def raise_if_denied(self) -> None:
        """Tools call this right before acting; a refusal carries the reason for the model and the user."""
        if not self.allowed:
            raise PolicyViolationError(f"{self.kind} not allowed ({self.outcome.value}): {self.reason}")


def _enum_text(value: object) -> str:
    return str(getattr(value, "value", value))


def _fail_decision(reason: str) -> Decision:
    return Decision(verdict=Verdict.DENY, risk=Risk.CRITICAL, reason=reason, rule="guard.fail_closed")


class ToolGuard:
    """Authorizes commands and file operations for one workspace, asks the user when needed, audits all."""

    def __init__(
        self,
        engine: PolicyEngineLike,
        approver: Approver,
        grants: GrantStore,
        audit: AuditLogLike,
        workspace: Path,
        *,
        approval_timeout_s: float = 120.0,
        confinement: Confinement | None = None,
    ) -> None:
        """``confinement``: the OS sandbox commands run in (default: the strongest this system
        offers, protecting nothing beyond the sandbox's own rules)."""
        self.engine = engine
        self.approver = approver
        self.grants = grants
        self.audit = audit
        self.workspace = Path(workspace).resolve()
        self.approval_timeout_s = approval_timeout_s
        self._confinement = confinement
        self._holds: set[asyncio.Future[Any]] = set()

    @property
    def workspace_key(self) -> str:
        return str(self.workspace)

    @property
    def confinement(self) -> Confinement:
        if self._confinement is None:
            from openagent_lsp.sandbox import detect_sandbox
            from openagent_lsp.tools.confinement import Confinement

            self._confinement = Confinement(detect_sandbox().level)
        return self._confinement

    def note_command_writes(self, started: float) -> None:
        """After a command ran: every file it changed counts as written by the agent, so a runner
        that would load one of them asks next time (``PolicyEngine.record_command_writes``)."""
        record = getattr(self.engine, "record_command_writes", None)
        if record is None:
            return
        try:
            record(self.workspace, started)
        except Exception as exc:  # a failed scan must not hide the command's result
            log.warning("record_command_writes_failed", error=repr(exc))

    def note_file_write(self, path: Path) -> None:
        """A file tool wrote ``path`` for the agent (``PolicyEngine.record_agent_write``)."""
        record = getattr(self.engine, "record_agent_write", None)
        if record is not None:
            record(path)

    def hold_writes_until(self, future: asyncio.Future[Any]) -> None:
        """No command or file write is authorized before ``future`` is done (the snapshot that makes
        the turn undoable: nothing may change the workspace before it is taken)."""
        self._holds.add(future)
        future.add_done_callback(self._holds.discard)

    async def _writes_released(self) -> None:
        for future in list(self._holds):
            with contextlib.suppress(Exception):  # a failed snapshot is logged by its owner
                await asyncio.shield(future)

    def _audit_blocked(self) -> str:
        blocked = getattr(self.audit, "blocked_reason", None)
        try:
            return str(blocked() or "") if blocked is not None else ""
        except Exception as exc:
            return f"the audit log cannot be checked: {exc}"

    async def authorize_command(
        self,
        command: str,
        cwd: Path | None = None,
        *,
        force_approval: bool = False,
        origin: Origin = Origin.AGENT,
    ) -> Authorization:
        """Decide whether ``command`` (the exact text that will run) may run in ``cwd``.

        ``force_approval`` raises an ALLOW verdict to REQUIRE_APPROVAL for writes the server makes on
        the user's behalf (e.g. ``git commit``) whatever the policy's allow list says; it never
        lowers a verdict. ``origin`` says who wrote the command (the prompt shows it).
        """
        cwd = Path(cwd).resolve() if cwd is not None else self.workspace
        await self._writes_released()
        blocked = self._audit_blocked()
        if blocked:
            decision = _fail_decision(blocked)
            return self._conclude(ToolKind.COMMAND, command, decision, Outcome.ERROR, blocked, cwd=cwd)
        try:
            decision = self.engine.check_command(command, cwd, self.workspace)
        except Exception as exc:  # fail closed on any engine bug
            log.warning("policy_engine_error", kind=ToolKind.COMMAND, error=repr(exc))
            decision = _fail_decision(f"policy engine error: {exc}")
            return self._conclude(ToolKind.COMMAND, command, decision, Outcome.ERROR, decision.reason, cwd=cwd)
        if force_approval and decision.verdict is Verdict.ALLOW:
            decision = replace(
                decision,
                verdict=Verdict.REQUIRE_APPROVAL,
                reason=f"{decision.reason} (writes always need approval)",
            )

        def matches(key: str) -> bool:
            return self.engine.grant_key_matches(command, key, cwd, self.workspace)

        return await self._decide(ToolKind.COMMAND, command, decision, matches, cwd=cwd, origin=origin)

    async def authorize_path(self, op: FileOp, path: str, *, origin: Origin = Origin.AGENT) -> Authorization:
        """Decide whether file operation ``op`` may touch ``path`` (as the model wrote it)."""
        subject = f"{op.value} {self._display_path(path)}"
        if op not in (FileOp.READ, FileOp.LIST):
            await self._writes_released()
        blocked = self._audit_blocked()
        if blocked:
            decision = _fail_decision(blocked)
            return self._conclude(ToolKind.FILE, subject, decision, Outcome.ERROR, blocked)
        try:
            decision = self.engine.check_path(op, path, self.workspace)
        except Exception as exc:
            log.warning("policy_engine_error", kind=ToolKind.FILE, error=repr(exc))
            decision = _fail_decision(f"policy engine error: {exc}")
            return self._conclude(ToolKind.FILE, subject, decision, Outcome.ERROR, decision.reason)

        # File grants are only reused when the engine produced the very same key for this subject.
        def matches(key: str) -> bool:
            return key == decision.grant_key

        return await self._decide(ToolKind.FILE, subject, decision, matches, origin=origin)

    def audit_refusal(self, kind: ToolKind, subject: str, reason: str) -> None:
        """Record a refusal made by a tool's own checks (a path or cwd outside the workspace) before
        the policy was even asked, so the audit log shows every attempt, not only policy decisions."""
        record = {
            "event": "tool_refused",
            "kind": kind.value,
            "subject": subject,
            "workspace": self.workspace_key,
            "reason": reason[:2000],
        }
        try:
            self.audit.append(record)
        except Exception as exc:
            log.error("audit_append_failed", error=repr(exc))

    def record_result(
        self,
        auth: Authorization,
        *,
        ok: bool,
        exit_code: int | None = None,
        error: str = "",
        extra: dict[str, Any] | None = None,
    ) -> None:
        """Append what happened after an authorized call ran (exit code, error) to the audit log."""
        record: dict[str, Any] = {
            "event": "tool_result",
            "call_id": auth.call_id,
            "kind": auth.kind,
            "subject": auth.subject,
            "workspace": self.workspace_key,
            "ok": ok,
            "exit_code": exit_code,
            "error": error[:2000],
        }
        if extra:
            record.update(extra)
        try:
            self.audit.append(record)
        except Exception as exc:  # the call already happened; losing the record is logged loudly
            log.error("audit_append_failed", call_id=auth.call_id, error=repr(exc))

    # -- internals -------------------------------------------------------------------------------

    async def _decide(
        self,
        kind: ToolKind,
        subject: str,
        decision: Decision,
        matches: Any,
        *,
        cwd: Path | None = None,
        origin: Origin = Origin.AGENT,
    ) -> Authorization:
        if decision.verdict is Verdict.ALLOW:
            return self._conclude(kind, subject, decision, Outcome.ALLOWED, decision.reason, cwd=cwd)
        if decision.verdict is not Verdict.REQUIRE_APPROVAL:
            # DENY, or anything unexpected: refuse.
            return self._conclude(kind, subject, decision, Outcome.DENIED, decision.reason, cwd=cwd)

        # A grant can only ever apply to a grantable decision (non-empty grant key).
        if decision.grant_key:
            try:
                for key in self.grants.list_grants(self.workspace_key, kind):
                    if key and matches(key):
                        return self._conclude(
                            kind, subject, decision, Outcome.GRANTED, f"always allowed ({key})", cwd=cwd,
                            grant_key=key,
                        )
            except Exception as exc:  # a broken store never grants; fall through to asking
                log.warning("grant_lookup_failed", error=repr(exc))

        request = ApprovalRequest(
            kind=kind,
            subject=subject,
            decision=decision,
            workspace=self.workspace_key,
            origin=origin,
            sandbox=self._sandbox_line(kind, decision),
        )
        try:
            # asyncio.timeout, not wait_for: on 3.11 wait_for can return an answer that raced a cancel,
            # and a cancelled turn must never go on to run what was approved.
            async with asyncio.timeout(self.approval_timeout_s):
                answer = await self.approver.ask(request)
        except TimeoutError:
            return self._conclude(
                kind, subject, decision, Outcome.APPROVAL_FAILED, "no answer to the approval request", cwd=cwd
            )
        except asyncio.CancelledError:
            self._conclude(kind, subject, decision, Outcome.APPROVAL_FAILED, "approval cancelled", cwd=cwd)
            raise
        except Exception as exc:
            log.warning("approver_error", error=repr(exc))
            return self._conclude(
                kind, subject, decision, Outcome.APPROVAL_FAILED, f"approval failed: {exc}", cwd=cwd
            )

        if answer is ApprovalAnswer.RUN_ONCE:
            return self._conclude(kind, subject, decision, Outcome.APPROVED_ONCE, "approved once", cwd=cwd)
        if answer is ApprovalAnswer.ALWAYS_ALLOW:
            reason = "approved"
            if decision.grant_key:
                try:
                    self.grants.add_grant(self.workspace_key, decision.grant_key, kind)
                    reason = f"approved; always allow {decision.grant_key!r} in this workspace"
                except Exception as exc:
                    log.warning("grant_store_failed", error=repr(exc))
                    reason = "approved (grant could not be stored)"
            else:
                reason = "approved once (this cannot be allowed permanently)"
            return self._conclude(kind, subject, decision, Outcome.APPROVED_ALWAYS, reason, cwd=cwd)
        if answer is ApprovalAnswer.DENY:
            return self._conclude(kind, subject, decision, Outcome.REJECTED, "denied by the user", cwd=cwd)
        reason = f"unexpected approval answer {answer!r}"
        return self._conclude(kind, subject, decision, Outcome.APPROVAL_FAILED, reason, cwd=cwd)

    def _conclude(
        self,
        kind: ToolKind,
        subject: str,
        decision: Decision,
        outcome: Outcome,
        reason: str,
        *,
        cwd: Path | None = None,
        grant_key: str = "",
    ) -> Authorization:
        auth = Authorization(kind=kind, subject=subject, decision=decision, outcome=outcome, reason=reason)
        record: dict[str, Any] = {
            "event": "tool_decision",
            "call_id": auth.call_id,
            "kind": kind.value,
            "subject": subject,
            "workspace": self.workspace_key,
            "decision": _enum_text(decision.verdict),
            "risk": _enum_text(decision.risk),
            "rule": decision.rule,
            "policy_reason": decision.reason,
            "outcome": outcome.value,
            "reason": reason,
            "grant_key": grant_key or decision.grant_key,
            "needs_network": decision.needs_network,
        }
        if cwd is not None:
            record["cwd"] = str(cwd)
        try:
            self.audit.append(record)
        except Exception as exc:
            # Nothing may run without a trace of the decision.
            log.error("audit_append_failed", call_id=auth.call_id, error=repr(exc))
            if outcome.runs:
                return Authorization(
                    kind=kind,
                    subject=subject,
                    decision=decision,
                    outcome=Outcome.ERROR,
                    reason=f"the audit log cannot be written, so nothing runs: {exc}",
                    call_id=auth.call_id,
                )
        return auth

    def _sandbox_line(self, kind: ToolKind, decision: Decision) -> str:
        if kind is ToolKind.FILE:
            return "nothing runs: OpenAgent itself changes exactly this one file"
        try:
            return self.confinement.describe(network=decision.needs_network, git_write=decision.git_write)
        except Exception as exc:  # the prompt must still be shown; it says the sandbox is unknown
            log.warning("sandbox_description_failed", error=repr(exc))
            return "unknown: the sandbox could not be described"

    def _display_path(self, path: str) -> str:
        """The absolute path the user is asked about (``~`` and ``..`` resolved), never the raw text."""
        try:
            p = Path(os.path.expanduser(path))
            if not p.is_absolute():
                p = self.workspace / p
            return str(p.resolve())
        except (OSError, RuntimeError, ValueError):
            return path
