"""The policy corpus (tests/unit/policy/corpus.yaml): loading it and deciding one entry.

Shared by the corpus test and ``benchmarks/policy_bench.py`` so both judge every entry the same way.
Entry fields are described in ``tests/unit/policy/test_policy_corpus.py``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from openagent_lsp.policy.engine import PolicyEngine
from openagent_lsp.policy.types import Decision, Verdict

CORPUS = Path(__file__).resolve().parent.parent / "unit" / "policy" / "corpus.yaml"
VERDICTS = {"deny": Verdict.DENY, "ask": Verdict.REQUIRE_APPROVAL, "allow": Verdict.ALLOW}


def load_corpus() -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    for e in entries:
        if e.get("pad"):
            e["cmd"] = e["cmd"] + "a" * int(e["pad"])
    return entries


def make_workspace(path: Path) -> Path:
    """The workspace every entry is judged in: a source file, a .git directory and a planted .env."""
    (path / "src").mkdir(parents=True)
    (path / ".git" / "hooks").mkdir(parents=True)
    (path / "src" / "main.py").write_text("print('hi')\n")
    (path / ".env").write_text("TOKEN=secret\n")
    return path.resolve()


def decide(entry: dict[str, Any], workspace: Path, *, strict: bool = False, sandboxed: bool = True) -> Decision:
    """Decide ``entry`` in ``workspace`` with a fresh engine that knows what the agent wrote."""
    for name, content in (entry.get("files") or {}).items():
        path = workspace / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    if entry.get("hardlink"):
        # A second name for the file, as an earlier command could have made it.
        original = workspace / entry["hardlink"]
        second = original.with_name(original.name + ".second-name")
        if not second.exists():
            os.link(original, second)
    engine = PolicyEngine.default(strict=strict, sandboxed=sandboxed)
    for name in entry.get("agent_wrote") or []:
        path = workspace / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_text("# written by the agent\n")
        engine.record_agent_write(path)
    return engine.check_command(entry["cmd"], workspace, workspace)
