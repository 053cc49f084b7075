"""Fixtures for the policy tests: a real workspace on disk and engines over the shipped policy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from openagent_lsp.policy.engine import PolicyEngine

CORPUS = Path(__file__).with_name("corpus.yaml")


def load_corpus() -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    for e in entries:
        if e.get("pad"):
            e["cmd"] = e["cmd"] + "a" * int(e["pad"])
    return entries


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
