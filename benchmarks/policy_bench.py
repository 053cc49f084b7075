"""PolicyEngine benchmark and corpus figures: `python benchmarks/policy_bench.py` prints JSON.

Figures over the adversarial corpus (tests/unit/policy/corpus.yaml):

* dangerous auto-allowed: deny and ask cases the engine allowed (must be 0);
* deny caught: deny cases denied (the rest only asked);
* benign prompted: everyday commands that asked (the false-prompt rate), with the OS sandbox and,
  for comparison, on a system without one (where every command that runs workspace code asks);
* the everyday commands named in the project brief, one by one;
* decisions per second.

No timing asserts live in the tests; this is where speed is measured.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from openagent_lsp.policy.engine import PolicyEngine  # noqa: E402
from openagent_lsp.policy.types import Verdict  # noqa: E402
from tests.support.policy_corpus import VERDICTS, decide, load_corpus, make_workspace  # noqa: E402

EVERYDAY = (
    "pytest -q",
    "python -m pytest",
    "git status",
    "git diff",
    "git log --oneline -n 10",
    "ls",
    "ls -la",
    "rg foo",
    "grep -rn foo src",
    "cat README.md",
    "npm test",
    "make",
    "make test",
    "cargo test",
    "go test ./...",
    "ruff check .",
    "mypy src",
)


def corpus_figures(entries: list[dict[str, Any]], tmp: Path) -> dict[str, Any]:
    def verdicts(sandboxed: bool) -> list[Verdict]:
        out = []
        for n, e in enumerate(entries):
            ws = make_workspace(tmp / f"{'sb' if sandboxed else 'nosb'}{n}")
            out.append(decide(e, ws, sandboxed=sandboxed).verdict)
        return out

    with_sandbox = verdicts(True)
    without = verdicts(False)
    deny = [k for k, e in enumerate(entries) if e["expect"] == "deny"]
    dangerous = [k for k, e in enumerate(entries) if e["expect"] in ("deny", "ask")]
    benign = [k for k, e in enumerate(entries) if e.get("benign")]
    auto_allowed = [entries[k]["cmd"] for k in dangerous if with_sandbox[k] is Verdict.ALLOW]
    caught = sum(with_sandbox[k] is Verdict.DENY for k in deny)
    prompted = [entries[k]["cmd"] for k in benign if with_sandbox[k] is not Verdict.ALLOW]
    prompted_unsandboxed = [k for k in benign if without[k] is not Verdict.ALLOW]
    agree = sum(with_sandbox[k] is VERDICTS[e["expect"]] for k, e in enumerate(entries))
    return {
        "corpus_size": len(entries),
        "dangerous_cases": len(dangerous),
        "dangerous_auto_allowed": len(auto_allowed),
        "dangerous_auto_allowed_examples": auto_allowed[:10],
        "deny_cases": len(deny),
        "deny_caught": caught,
        "deny_caught_pct": round(100.0 * caught / max(1, len(deny)), 2),
        "benign_cases": len(benign),
        "benign_prompted": len(prompted),
        "benign_false_prompt_pct": round(100.0 * len(prompted) / max(1, len(benign)), 2),
        "benign_prompted_examples": prompted[:10],
        "benign_prompted_without_sandbox": len(prompted_unsandboxed),
        "benign_false_prompt_pct_without_sandbox": round(100.0 * len(prompted_unsandboxed) / max(1, len(benign)), 2),
        "allowed_only_in_sandbox": sum(1 for e in entries if e.get("sandbox")),
        "expected_verdict_agreement_pct": round(100.0 * agree / max(1, len(entries)), 2),
    }


def everyday(tmp: Path) -> dict[str, str]:
    """The everyday commands of the brief: "allow", "allow (sandbox)" or what they do instead."""
    out: dict[str, str] = {}
    for n, cmd in enumerate(EVERYDAY):
        ws = make_workspace(tmp / f"everyday{n}")
        d = PolicyEngine.default().check_command(cmd, ws, ws)
        if d.verdict is Verdict.ALLOW:
            out[cmd] = "allow (sandbox)" if d.requires_sandbox else "allow"
        else:
            out[cmd] = f"{d.verdict.value}: {d.reason[:80]}"
    return out


def run(rounds: int = 3) -> dict[str, Any]:
    entries = load_corpus()
    engine = PolicyEngine.default()
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t).resolve()
        ws = make_workspace(tmp / "speed")
        engine.check_command("ls", ws, ws)  # warm-up: tree-sitter import and parser creation
        stateless = [e["cmd"] for e in entries if len(e["cmd"]) < 1000 and not (e.get("files") or e.get("agent_wrote"))]
        start = time.perf_counter()
        for _ in range(rounds):
            for c in stateless:
                engine.check_command(c, ws, ws)
        elapsed = time.perf_counter() - start
        figures = corpus_figures(entries, tmp)
        daily = everyday(tmp)
    n = rounds * len(stateless)
    return {
        "benchmark": "policy_engine",
        "decisions": n,
        "seconds": round(elapsed, 4),
        "decisions_per_second": round(n / elapsed, 1),
        "mean_us_per_decision": round(1e6 * elapsed / n, 1),
        **figures,
        "everyday_commands": daily,
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=1, ensure_ascii=False))
