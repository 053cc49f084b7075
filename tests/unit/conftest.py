"""Fixtures shared by the unit tests of the agent, the tools and the application services: a workspace in
tmp_path and a ToolGuard built from stand-ins (scripted approver, in-memory audit, toy policy)."""

from __future__ import annotations

from pathlib import Path

import pytest

from openagent_lsp.policy.types import ApprovalAnswer
from openagent_lsp.tools.guard import InMemoryGrantStore, ToolGuard
from openagent_lsp.tools.testing import FakePolicyEngine, MemoryAuditLog, ScriptedApprover


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    return ws.resolve()


@pytest.fixture
def audit() -> MemoryAuditLog:
    return MemoryAuditLog()


@pytest.fixture
def approver() -> ScriptedApprover:
    return ScriptedApprover(default=ApprovalAnswer.DENY)


@pytest.fixture
def engine() -> FakePolicyEngine:
    return FakePolicyEngine()


@pytest.fixture
def grants() -> InMemoryGrantStore:
    return InMemoryGrantStore()


@pytest.fixture
def guard(
    engine: FakePolicyEngine,
    approver: ScriptedApprover,
    grants: InMemoryGrantStore,
    audit: MemoryAuditLog,
    workspace: Path,
) -> ToolGuard:
    return ToolGuard(engine, approver, grants, audit, workspace, approval_timeout_s=1.0)
