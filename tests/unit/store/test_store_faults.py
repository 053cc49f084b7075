"""The chat history when the database is locked, read-only or on a full disk: a StorageError that says
which, nothing already saved is lost, and a chat turn still delivers its answer and reports the failure."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from openagent_lsp.agent.core import Agent, AgentSettings
from openagent_lsp.agent.testing import ScriptedLLM
from openagent_lsp.assist.arguments import ChatRequest
from openagent_lsp.assist.chat import ChatService
from openagent_lsp.context.documents import DocumentStore
from openagent_lsp.errors import StorageError
from openagent_lsp.llm.base import CancelToken
from openagent_lsp.store.db import Store
from openagent_lsp.tools import build_default_registry
from openagent_lsp.tools.guard import InMemoryGrantStore, ToolGuard
from openagent_lsp.tools.testing import FakePolicyEngine, MemoryAuditLog, ScriptedApprover

pytestmark = pytest.mark.timeout(120)
ROOT = Path(__file__).resolve().parents[3]


def test_a_locked_database_is_named_and_nothing_saved_is_lost(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    store = Store(path, busy_timeout_s=0.2)
    cid = store.create_conversation("/ws")
    store.add_message(cid, "user", "first")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StorageError, match="locked by another program"):
            store.add_message(cid, "assistant", "second")
    finally:
        other.execute("ROLLBACK")
        other.close()
    store.add_message(cid, "assistant", "second")
    assert [m.content for m in store.get_history(cid)] == ["first", "second"]


async def test_a_chat_turn_answers_and_reports_a_history_it_could_not_save(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    path = tmp_path / "h.sqlite3"
    store = Store(path, busy_timeout_s=0.2)
    registry = build_default_registry()
    guard = ToolGuard(FakePolicyEngine(), ScriptedApprover(), InMemoryGrantStore(), MemoryAuditLog(), workspace)
    llm = ScriptedLLM(["It adds numbers."])
    service = ChatService(store, workspace, DocumentStore(),
                          make_agent=lambda: Agent(llm, registry, guard, AgentSettings(select_tools=False)),
                          registry=registry, guard=guard, staged_diff=lambda: "")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        result = await service.send(ChatRequest(message="what does add do?"), lambda _d: None, CancelToken())
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert result.ok and result.text == "It adds numbers."  # the answer is not lost
    assert "locked" in result.history_error and result.to_json()["historyError"] == result.history_error


@pytest.mark.skipif(shutil.which("unshare") is None or sys.platform != "linux", reason="needs unshare (Linux)")
def test_disk_full_and_read_only_in_a_private_mount(tmp_path: Path) -> None:
    folder = tmp_path / "mnt"
    folder.mkdir()
    probe = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"user namespaces unavailable: {probe.stderr.decode(errors='replace')[:200]}")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", sys.executable, "-m",
                           "tests.support.store_faults_child", str(folder)],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=100)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert "the disk is full" in out["full"], out
    assert out["saved_before_full"] > 0 and out["readable_after_full"] == out["saved_before_full"]
    assert "read-only" in out["read_only"], out
    assert out["readable_when_read_only"] == out["saved_before_full"] and out["integrity"] == "ok"
