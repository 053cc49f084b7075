"""The audit fails closed: when a record or its count cannot be written (disk full, read-only file system,
database locked or read-only) the guarded command does not run -- each would create a marker file -- the
refusal says why, and once the fault is gone commands run again on a chain that still verifies."""

from __future__ import annotations

import errno
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from openagent_lsp.errors import PolicyViolationError
from openagent_lsp.policy import audit as audit_module
from openagent_lsp.policy.audit import AuditLog, AuditWriteError, FileAnchor
from openagent_lsp.policy.engine import PolicyEngine
from openagent_lsp.policy.types import ApprovalAnswer
from openagent_lsp.store.db import Store
from openagent_lsp.tools.base import ToolContext
from openagent_lsp.tools.guard import ToolGuard
from openagent_lsp.tools.shell import ShellRunInput, ShellTool
from openagent_lsp.tools.testing import ScriptedApprover

pytestmark = pytest.mark.timeout(120)
ROOT = Path(__file__).resolve().parents[3]


def shell_context(audit: AuditLog, store: Store, workspace: Path) -> ToolContext:
    guard = ToolGuard(PolicyEngine.from_file(None, strict=False),
                      ScriptedApprover(default=ApprovalAnswer.RUN_ONCE), store, audit, workspace)
    return ToolContext(workspace=workspace, guard=guard)


async def touch(ctx: ToolContext, name: str) -> str:
    result = await ShellTool().run(ShellRunInput(command=f"touch {name}"), ctx)
    return result.error or "ok"


async def test_a_locked_database_for_the_record_count_runs_nothing(tmp_path: Path, workspace: Path) -> None:
    db = tmp_path / "state.sqlite3"
    store = Store(db, busy_timeout_s=0.2)
    audit = AuditLog(tmp_path / "audit" / "ws.jsonl", anchor=store)
    ctx = shell_context(audit, store, workspace)
    assert await touch(ctx, "before") == "ok" and (workspace / "before").exists()
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        for attempt in ("locked-1", "locked-2"):
            with pytest.raises(PolicyViolationError, match=r"audit log cannot be written.*locked by another program"):
                await touch(ctx, attempt)
            assert not (workspace / attempt).exists()
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert await touch(ctx, "after") == "ok" and (workspace / "after").exists()
    assert audit.verify()[0]
    # A restart (the count read back from the database) verifies too: the log never ran ahead of it.
    assert AuditLog(audit.path, anchor=Store(db)).failure == ""


def test_the_log_is_never_more_than_one_record_ahead_of_its_count(tmp_path: Path) -> None:
    class Flaky(FileAnchor):
        broken = False

        def store_anchor(self, log_id: str, count: int, last_mac: str, anchor_mac: str) -> None:
            if self.broken:
                raise OSError(errno.EROFS, "read-only file system")
            super().store_anchor(log_id, count, last_mac, anchor_mac)

    anchor = Flaky(tmp_path / "anchor.json")
    log = AuditLog(tmp_path / "a.jsonl", anchor=anchor)
    log.append({"event": "x", "n": 0})
    anchor.broken = True
    for n in range(1, 4):
        with pytest.raises(AuditWriteError, match="read-only"):
            log.append({"event": "x", "n": n})
    assert len((tmp_path / "a.jsonl").read_text().splitlines()) == 2  # only the first failure wrote a record
    assert AuditLog(tmp_path / "a.jsonl", anchor=Flaky(tmp_path / "anchor.json")).failure == ""
    anchor.broken = False
    log.append({"event": "x", "n": 4})
    assert log.verify() == (True, "3 records verified")


def test_a_record_cut_short_by_a_full_disk_is_removed_at_once(tmp_path: Path, monkeypatch: Any) -> None:
    log = AuditLog(tmp_path / "a.jsonl")
    log.append({"event": "x", "n": 0})
    real_write = os.write
    calls: list[int] = []

    def short_then_full(fd: int, data: bytes) -> int:
        calls.append(len(data))
        if len(calls) == 1:
            return real_write(fd, data[:10])  # part of the record reaches the file...
        raise OSError(errno.ENOSPC, "No space left on device")  # ...and then the disk is full

    monkeypatch.setattr(audit_module.os, "write", short_then_full)
    with pytest.raises(AuditWriteError, match="the disk is full"):
        log.append({"event": "x", "n": 1})
    monkeypatch.undo()
    assert len(calls) == 2
    assert log.verify() == (True, "1 records verified")  # no torn line left behind
    log.append({"event": "x", "n": 2})
    assert log.verify() == (True, "2 records verified")


@pytest.mark.skipif(shutil.which("unshare") is None or sys.platform != "linux", reason="needs unshare (Linux)")
def test_full_and_read_only_disks_run_nothing_without_its_record(tmp_path: Path) -> None:
    probe = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"user namespaces unavailable: {probe.stderr.decode(errors='replace')[:200]}")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", sys.executable, "-m",
                           "tests.support.audit_faults_child", str(tmp_path)],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=100)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    for name in ("before", "after-audit-disk-full", "after-audit-read-only", "after-database-read-only"):
        assert out[name] == {"said": "ok", "ran": True}, (name, out)  # a command here does run
    *fitted, refused = out["disk_full_attempts"]
    assert out[refused]["ran"] is False and "the disk is full" in out[refused]["said"], out
    assert out["audit-read-only"]["ran"] is False and "read-only" in out["audit-read-only"]["said"], out
    assert out["database-read-only"]["ran"] is False and "read-only" in out["database-read-only"]["said"], out
    ran = [name for name, v in out.items() if isinstance(v, dict) and v["ran"]]
    assert set(ran) == {"before", *fitted, "after-audit-disk-full", "after-audit-read-only", "after-database-read-only"}
    # Every command that ran had its decision on disk first; refused ones show none that runs.
    assert {f"touch {name}" for name in ran} <= set(out["decisions_audited"]), out
    assert out["verified"][0] is True and out["failure_on_reopen"] == "", out
