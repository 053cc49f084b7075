"""Fixtures for tool tests: a ToolContext over the shared workspace and guard (tests/unit/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from openagent_lsp.tools.base import ToolContext
from openagent_lsp.tools.guard import ToolGuard


@pytest.fixture
def ctx(workspace: Path, guard: ToolGuard) -> ToolContext:
    return ToolContext(workspace=workspace, guard=guard)
