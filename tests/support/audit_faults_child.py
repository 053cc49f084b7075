"""Run inside ``unshare --user --map-root-user --mount``: the real guard and shell tool with the audit log
and the database (which keeps the audit record count) on private tmpfs mounts, which are then filled up or
remounted read-only. Each command would create a marker file in the workspace (on the ordinary disk);
prints, as JSON, what each one said and whether its marker exists. Nothing outside the private mount
namespace is touched.

    unshare --user --map-root-user --mount python -m tests.support.audit_faults_child DIR
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from openagent_lsp.policy.audit import AuditLog
from openagent_lsp.policy.engine import PolicyEngine
from openagent_lsp.policy.types import ApprovalAnswer
from openagent_lsp.store.db import Store
from openagent_lsp.tools.base import ToolContext
from openagent_lsp.tools.guard import ToolGuard
from openagent_lsp.tools.shell import ShellRunInput, ShellTool
from openagent_lsp.tools.testing import ScriptedApprover
from tests.support.full_disk import fill_file


def mount_tmpfs(folder: Path, size: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], check=True)


def remount(folder: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(folder)], check=True)


def fill(folder: Path) -> Path:
    return fill_file(folder / "filler")


def guarded_shell(audit: AuditLog, store: Store, workspace: Path) -> ToolContext:
    guard = ToolGuard(PolicyEngine.from_file(None, strict=False),
                      ScriptedApprover(default=ApprovalAnswer.RUN_ONCE), store, audit, workspace)
    return ToolContext(workspace=workspace, guard=guard)


async def scenario(root: Path) -> dict[str, Any]:
    audit_dir, db_dir, workspace = root / "audit", root / "db", root / "ws"
    mount_tmpfs(audit_dir, "64k")
    workspace.mkdir(exist_ok=True)
    db_dir.mkdir(exist_ok=True)
    store = Store(db_dir / "state.sqlite3", busy_timeout_s=0.5)
    audit = AuditLog(audit_dir / "ws.jsonl", anchor=store)
    tool = ShellTool()
    out: dict[str, Any] = {}

    async def attempt(name: str, ctx: ToolContext) -> None:
        try:
            result = await tool.run(ShellRunInput(command=f"touch {name}"), ctx)
            said = result.error or "ok"
        except Exception as exc:  # the refusal the agent reports to the model and the user
            said = f"{type(exc).__name__}: {exc}"
        out[name] = {"said": said, "ran": (workspace / name).exists()}

    ctx = guarded_shell(audit, store, workspace)
    await attempt("before", ctx)
    filler = fill(audit_dir)
    # The log's last page may still hold a record or two: commands run until one is refused.
    full = [f"audit-disk-full-{n}" for n in range(12)]
    for name in full:
        await attempt(name, ctx)
        if not out[name]["ran"]:
            break
    out["disk_full_attempts"] = [name for name in full if name in out]
    filler.unlink()
    await attempt("after-audit-disk-full", ctx)
    remount(audit_dir, "ro")
    await attempt("audit-read-only", ctx)
    remount(audit_dir, "rw")
    await attempt("after-audit-read-only", ctx)
    # The database that keeps the record count, seen through a read-only mount (as after an error remount).
    view = root / "db-read-only"
    view.mkdir(exist_ok=True)
    subprocess.run(["mount", "--bind", str(db_dir), str(view)], check=True)
    subprocess.run(["mount", "-o", "remount,bind,ro", str(view)], check=True)
    read_only_store = Store(view / "state.sqlite3", busy_timeout_s=0.5)
    await attempt("database-read-only", guarded_shell(AuditLog(audit.path, anchor=read_only_store), store, workspace))
    reopened = AuditLog(audit.path, anchor=store)
    await attempt("after-database-read-only", guarded_shell(reopened, store, workspace))
    out["verified"] = list(reopened.verify())
    out["failure_on_reopen"] = AuditLog(audit.path, anchor=store).failure
    records = reopened.recent(1000)
    out["decisions_audited"] = [r.get("subject") for r in records if r.get("event") == "tool_decision"]
    out["results_audited"] = [r.get("subject") for r in records if r.get("event") == "tool_result"]
    return out


def main() -> None:
    print(json.dumps(asyncio.run(scenario(Path(sys.argv[1])))))


if __name__ == "__main__":
    main()
