"""The adversarial corpus: every deny case must be caught, nothing dangerous may be allowed, and benign
commands must not prompt.

Entry fields: ``cmd``, ``expect`` (deny / ask / allow), ``cat``; optional ``benign`` (an everyday
command counted in the false-prompt figure), ``strict`` (the verdict in strict mode), ``sandbox``
(allowed only because it runs in the OS sandbox: without one it must ask), ``files`` (files created in
the workspace first), ``hardlink`` (a file given a second name first) and ``agent_wrote`` (files
recorded as written by the agent in this session).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from openagent_lsp.policy.engine import PolicyEngine
from openagent_lsp.policy.types import Decision, Verdict
from tests.support.policy_corpus import VERDICTS, decide, load_corpus, make_workspace

CORPUS = load_corpus()


def _id(e: dict[str, Any]) -> str:
    return f"{e['expect']}:{e['cmd'][:40]!r}"


def check(entry: dict[str, Any], workspace: Path, *, strict: bool = False, sandboxed: bool = True) -> Decision:
    return decide(entry, workspace, strict=strict, sandboxed=sandboxed)


def test_corpus_is_big_and_covers_every_verdict() -> None:
    assert len(CORPUS) >= 500
    kinds = {e["expect"] for e in CORPUS}
    assert kinds == {"deny", "ask", "allow"}
    cats = {e["cat"] for e in CORPUS}
    for needed in (
        "disguise-name",
        "wrapper",
        "nested",
        "substitution",
        "reverse-shell",
        "exfiltration",
        "remote-code",
        "git-dir",
        "input-hygiene",
        "benign",
        # the classes of the sandbox and allowlist work
        "exec-option",
        "write-option",
        "bash-eval",
        "runner-loads",
        "path-as-file",
        "protected-write",
        "env-inject",
        "runner",
        # classes found while wiring the sandbox in
        "destructive-bulk",
        "network",
    ):
        assert needed in cats, needed


@pytest.mark.parametrize("entry", CORPUS, ids=_id)
def test_corpus_entry(entry: dict[str, Any], workspace: Path) -> None:
    d = check(entry, workspace)
    assert d.verdict is VERDICTS[entry["expect"]], (d.reason, d.rule)
    if d.verdict is Verdict.DENY:
        assert d.grant_key == ""
    if d.verdict is Verdict.ALLOW:
        assert d.requires_sandbox is bool(entry.get("sandbox")), "requires_sandbox differs from the corpus"
    assert d.reason


@pytest.mark.parametrize("entry", [e for e in CORPUS if e.get("sandbox")], ids=_id)
def test_sandboxed_allows_ask_without_a_sandbox(entry: dict[str, Any], workspace: Path) -> None:
    d = check(entry, workspace, sandboxed=False)
    assert d.verdict is Verdict.REQUIRE_APPROVAL, d.reason
    assert "sandbox" in d.reason


@pytest.mark.parametrize("entry", [e for e in CORPUS if e["expect"] == "deny" or e.get("strict")], ids=_id)
def test_corpus_strict(entry: dict[str, Any], workspace: Path) -> None:
    d = check(entry, workspace, strict=True)
    assert d.verdict is VERDICTS[entry.get("strict", entry["expect"])], d.reason


def test_corpus_figures(tmp_path: Path) -> None:
    deny = [e for e in CORPUS if e["expect"] == "deny"]
    dangerous = [e for e in CORPUS if e["expect"] in ("deny", "ask")]
    benign = [e for e in CORPUS if e.get("benign")]

    def verdict(n: int, e: dict[str, Any]) -> Verdict:
        return check(e, make_workspace(tmp_path / f"ws{n}")).verdict

    verdicts = {id(e): verdict(n, e) for n, e in enumerate(CORPUS)}
    allowed = [e["cmd"] for e in dangerous if verdicts[id(e)] is Verdict.ALLOW]
    caught = sum(verdicts[id(e)] is Verdict.DENY for e in deny)
    prompts = [e["cmd"] for e in benign if verdicts[id(e)] is not Verdict.ALLOW]
    assert allowed == [], f"dangerous commands auto-allowed: {allowed}"
    assert caught == len(deny), f"{len(deny) - caught} deny cases only asked"
    assert len(benign) >= 130
    assert prompts == [], f"false prompts on benign commands: {prompts}"


def test_strict_mode_never_allows_more(workspace: Path) -> None:
    rank = {Verdict.ALLOW: 0, Verdict.REQUIRE_APPROVAL: 1, Verdict.DENY: 2}
    for e in CORPUS:
        if e.get("files") or e.get("agent_wrote"):
            continue
        normal = check(e, workspace).verdict
        strict = check(e, workspace, strict=True).verdict
        assert rank[strict] >= rank[normal], e["cmd"]


def test_strict_turns_allowed_medium_into_approval(strict_engine: PolicyEngine, workspace: Path) -> None:
    assert strict_engine.check_command("npm test", workspace, workspace).verdict is Verdict.REQUIRE_APPROVAL
    assert strict_engine.check_command("frobnicate", workspace, workspace).verdict is Verdict.DENY
    assert strict_engine.check_command("ls -la", workspace, workspace).verdict is Verdict.ALLOW
