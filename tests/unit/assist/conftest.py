"""Fixtures for the application services: a workspace, open documents, a scripted model, a fake policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from openagent_lsp.agent.testing import ScriptedLLM
from openagent_lsp.context.documents import DocumentStore
from openagent_lsp.errors import OpenAgentError
from openagent_lsp.llm.base import BaseLLM
from openagent_lsp.policy.types import ApprovalAnswer
from openagent_lsp.tools.guard import InMemoryGrantStore, ToolGuard
from openagent_lsp.tools.testing import FakePolicyEngine, MemoryAuditLog, ScriptedApprover


class Models:
    """A ``ModelSource``: the scripted model, or the error a loading model gives."""

    def __init__(self, llm: BaseLLM | None) -> None:
        self.llm = llm

    def require_ready(self) -> BaseLLM:
        if self.llm is None:
            raise OpenAgentError("the model is still loading; try again in a moment")
        return self.llm


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    return ws.resolve()


@pytest.fixture
def documents() -> DocumentStore:
    return DocumentStore()


@pytest.fixture
def approver() -> ScriptedApprover:
    return ScriptedApprover(default=ApprovalAnswer.DENY)


@pytest.fixture
def audit() -> MemoryAuditLog:
    return MemoryAuditLog()


@pytest.fixture
def engine() -> FakePolicyEngine:
    return FakePolicyEngine()


@pytest.fixture
def guard(engine: FakePolicyEngine, approver: ScriptedApprover, audit: MemoryAuditLog, workspace: Path) -> ToolGuard:
    return ToolGuard(engine, approver, InMemoryGrantStore(), audit, workspace, approval_timeout_s=5.0)


def scripted(*turns: str) -> ScriptedLLM:
    return ScriptedLLM(list(turns))
