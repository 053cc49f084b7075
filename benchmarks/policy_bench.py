"""PolicyEngine benchmark and corpus figures: `python benchmarks/policy_bench.py` prints JSON.

Figures: decisions/second over the adversarial corpus (tests/unit/policy/corpus.yaml), the share
of deny cases caught (DENY) and never allowed, and false prompts on the benign commands.
No timing asserts live in the tests; this is where speed is measured.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from openagent_lsp.policy.engine import PolicyEngine
from openagent_lsp.policy.types import Verdict

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "unit" / "policy" / "corpus.yaml"


def _load() -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    for e in entries:
        if e.get("pad"):
            e["cmd"] = e["cmd"] + "a" * int(e["pad"])
    return entries


def corpus_figures(engine: PolicyEngine, workspace: Path, entries: list[dict[str, Any]]) -> dict[str, Any]:
    """Deny caught %, deny never-allowed %, false prompts on benign commands."""
    deny = [e for e in entries if e["expect"] == "deny"]
    benign = [e for e in entries if e.get("benign")]
    verdicts = {e["cmd"]: engine.check_command(e["cmd"], workspace, workspace).verdict for e in entries}
    caught = sum(verdicts[e["cmd"]] is Verdict.DENY for e in deny)
    not_allowed = sum(verdicts[e["cmd"]] is not Verdict.ALLOW for e in deny)
    prompts = [e["cmd"] for e in benign if verdicts[e["cmd"]] is not Verdict.ALLOW]
    expected = {"deny": Verdict.DENY, "ask": Verdict.REQUIRE_APPROVAL, "allow": Verdict.ALLOW}
    agree = sum(verdicts[e["cmd"]] is expected[e["expect"]] for e in entries)
    return {
        "corpus_size": len(entries),
        "deny_cases": len(deny),
        "deny_caught_pct": round(100.0 * caught / max(1, len(deny)), 2),
        "deny_never_allowed_pct": round(100.0 * not_allowed / max(1, len(deny)), 2),
        "benign_cases": len(benign),
        "benign_false_prompts": len(prompts),
        "benign_false_prompt_pct": round(100.0 * len(prompts) / max(1, len(benign)), 2),
        "benign_false_prompt_examples": prompts[:10],
        "expected_verdict_agreement_pct": round(100.0 * agree / max(1, len(entries)), 2),
    }


def run(rounds: int = 5) -> dict[str, Any]:
    entries = _load()
    engine = PolicyEngine.default()
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp).resolve() / "ws"
        (ws / "src").mkdir(parents=True)
        engine.check_command("ls", ws, ws)  # warm-up: tree-sitter import and parser creation
        cmds = [e["cmd"] for e in entries]
        short = [c for c in cmds if len(c) < 1000]
        start = time.perf_counter()
        for _ in range(rounds):
            for c in short:
                engine.check_command(c, ws, ws)
        elapsed = time.perf_counter() - start
        figures = corpus_figures(engine, ws, entries)
    n = rounds * len(short)
    return {
        "benchmark": "policy_engine",
        "decisions": n,
        "seconds": round(elapsed, 4),
        "decisions_per_second": round(n / elapsed, 1),
        "mean_us_per_decision": round(1e6 * elapsed / n, 1),
        **figures,
    }


if __name__ == "__main__":
    print(json.dumps(run()))
