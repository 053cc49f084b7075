"""Everyday commands through the real agent path: `python benchmarks/shell_bench.py` prints JSON.

The path is the one the agent's ``shell.run`` takes: ToolGuard -> PolicyEngine -> approval -> audit
(HMAC chain) -> the OS sandbox -> the command. In a small temporary project (a git repository with a
Python test, a package.json, a Makefile) it measures

* the false-prompt rate: how many of ``pytest -q``, ``git status``, ``ls``, ``rg foo``, ``npm test``,
  ``make`` ask the user (the approver answers "Run once" and counts), with the sandbox this machine
  offers and, for comparison, as a system without one (macOS today) would see it;
* whether each command actually works inside the sandbox (exit code);
* the sandbox's overhead per command through the shell tool: median wall time, sandboxed vs plain,
  interleaved in one run so machine noise hits both alike.

Nothing runs outside the temporary directory; no timing asserts live in the tests.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from openagent_lsp.policy.audit import AuditLog  # noqa: E402
from openagent_lsp.policy.engine import PolicyEngine  # noqa: E402
from openagent_lsp.policy.types import ApprovalAnswer, ApprovalRequest  # noqa: E402
from openagent_lsp.sandbox import SandboxLevel, detect_sandbox  # noqa: E402
from openagent_lsp.tools.base import ToolContext  # noqa: E402
from openagent_lsp.tools.confinement import Confinement  # noqa: E402
from openagent_lsp.tools.guard import InMemoryGrantStore, ToolGuard  # noqa: E402
from openagent_lsp.tools.shell import ShellTool  # noqa: E402

EVERYDAY = ("pytest -q", "git status", "ls", "rg foo", "npm test", "make")
OVERHEAD = ("true", "ls", "git status", "rg foo", "pytest -q")
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", "-c", "init.defaultBranch=main"]


class CountingApprover:
    """Says "Run once" to everything and remembers what it was asked."""

    def __init__(self) -> None:
        self.requests: list[ApprovalRequest] = []

    async def ask(self, request: ApprovalRequest) -> ApprovalAnswer:
        self.requests.append(request)
        return ApprovalAnswer.RUN_ONCE


def make_project(root: Path) -> Path:
    ws = root / "project"
    (ws / "pkg").mkdir(parents=True)
    (ws / "tests").mkdir()
    (ws / "pkg" / "__init__.py").write_text("def foo():\n    return 1\n")
    (ws / "tests" / "test_pkg.py").write_text("from pkg import foo\n\n\ndef test_foo():\n    assert foo() == 1\n")
    (ws / "package.json").write_text(json.dumps(
        {"name": "bench", "version": "1.0.0", "scripts": {"test": "node -e \"console.log('ok')\""}}))
    (ws / "Makefile").write_text("all:\n\t@echo built\n")
    (ws / "README.md").write_text("foo bar\n")
    (ws / "conftest.py").write_text("")  # puts the project root on sys.path for the test
    subprocess.run([*GIT, "init", "-q"], cwd=ws, check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=ws, check=True)
    subprocess.run([*GIT, "commit", "-qm", "first"], cwd=ws, check=True)
    return ws.resolve()


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # this venv's pytest
    return env


def _context(ws: Path, state: Path, *, sandboxed: bool, level: SandboxLevel) -> tuple[ToolContext, CountingApprover]:
    approver = CountingApprover()
    engine = PolicyEngine.default(sandboxed=sandboxed)
    confinement = Confinement(level, protected=(state,), quarantine=state / "quarantine", env=_env())
    guard = ToolGuard(engine, approver, InMemoryGrantStore(), AuditLog(state / "audit" / "bench.jsonl"), ws,
                      confinement=confinement)
    return ToolContext(ws, guard), approver


async def _invoke(tool: ShellTool, ctx: ToolContext, command: str) -> tuple[float, Any]:
    started = time.perf_counter()
    result = await tool.invoke({"command": command, "timeout_s": 120}, ctx)
    return (time.perf_counter() - started) * 1000.0, result


async def false_prompts(ws: Path, state: Path, tool: ShellTool) -> dict[str, Any]:
    level = detect_sandbox().level
    out: dict[str, Any] = {}
    for name, sandboxed, run_level in (
        ("this_machine", level.runs_workspace_code_safely, level),
        ("no_os_sandbox", False, SandboxLevel.NONE),
    ):
        ctx, approver = _context(ws, state / name, sandboxed=sandboxed, level=run_level)
        rows = []
        for command in EVERYDAY:
            asked = len(approver.requests)
            ms, result = await _invoke(tool, ctx, command)
            rows.append({"command": command, "prompted": len(approver.requests) > asked,
                         "exit_code": result.metadata.get("exit_code"), "sandbox": result.metadata.get("sandbox"),
                         "ms": round(ms, 1), "error": result.error[:200],
                         "why": approver.requests[-1].decision.reason if len(approver.requests) > asked else ""})
        prompted = sum(r["prompted"] for r in rows)
        out[name] = {"level": run_level.value, "prompted": prompted, "commands": len(rows),
                     "false_prompt_rate": round(prompted / len(rows), 3), "rows": rows}
    return out


async def overhead(ws: Path, state: Path, tool: ShellTool, rounds: int) -> dict[str, Any]:
    level = detect_sandbox().level
    boxed, _ = _context(ws, state / "boxed", sandboxed=True, level=level)
    plain, _ = _context(ws, state / "plain", sandboxed=True, level=SandboxLevel.NONE)
    samples: dict[str, dict[str, list[float]]] = {c: {"sandboxed": [], "plain": []} for c in OVERHEAD}
    for command in OVERHEAD:  # warm-up: page cache, first probe, pytest's cache folder
        await _invoke(tool, boxed, command)
        await _invoke(tool, plain, command)
    for _ in range(rounds):
        for command in OVERHEAD:
            for variant, ctx in (("sandboxed", boxed), ("plain", plain)):
                ms, result = await _invoke(tool, ctx, command)
                if not result.ok:
                    raise RuntimeError(f"{command} ({variant}) failed: {result.error} {result.output[-300:]}")
                samples[command][variant].append(ms)
    table = {}
    for command, variants in samples.items():
        sandboxed, plain_ms = statistics.median(variants["sandboxed"]), statistics.median(variants["plain"])
        table[command] = {"sandboxed_ms": round(sandboxed, 1), "plain_ms": round(plain_ms, 1),
                          "overhead_ms": round(sandboxed - plain_ms, 1)}
    return {"level": level.value, "rounds": rounds, "median_ms": table}


async def main(rounds: int = 9) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="openagent-shell-bench-"))
    try:
        ws = make_project(tmp)
        # Files changed in the second before a command count as that command's writes (the kernel's
        # coarse clock): let the freshly made project age past that, as a real one has.
        time.sleep(1.5)
        state = tmp / "state"
        tool = ShellTool(base_env=_env())
        prompts = await false_prompts(ws, state, tool)
        cost = await overhead(ws, state, tool, rounds)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {"benchmark": "shell_real_path", "python": sys.version.split()[0], "false_prompts": prompts,
            "overhead": cost}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main()), indent=1))
