"""Fixtures for the policy tests: a real workspace on disk and engines over the shipped policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from openagent_lsp.policy.engine import PolicyEngine


@pytest.fixture()
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    (ws / "src").mkdir(parents=True)
    (ws / ".git" / "hooks").mkdir(parents=True)
    (ws / "src" / "main.py").write_text("print('hi')\n")
    (ws / ".env").write_text("TOKEN=secret\n")
    return ws.resolve()


@pytest.fixture(scope="session")
def engine() -> PolicyEngine:
    return PolicyEngine.default()


@pytest.fixture(scope="session")
def strict_engine() -> PolicyEngine:
    return PolicyEngine.default(strict=True)
