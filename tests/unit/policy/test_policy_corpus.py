"""The adversarial corpus: every deny case must be caught, benign commands must not prompt."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from openagent_lsp.policy.engine import PolicyEngine
from openagent_lsp.policy.types import Verdict

from .conftest import load_corpus

CORPUS = load_corpus()
VERDICTS = {"deny": Verdict.DENY, "ask": Verdict.REQUIRE_APPROVAL, "allow": Verdict.ALLOW}


def _id(e: dict[str, Any]) -> str:
    return f"{e['expect']}:{e['cmd'][:40]!r}"


def test_corpus_is_big_and_covers_every_verdict() -> None:
    assert len(CORPUS) >= 180
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
    ):
        assert needed in cats


@pytest.mark.parametrize("entry", CORPUS, ids=_id)
def test_corpus_entry(entry: dict[str, Any], engine: PolicyEngine, workspace: Path) -> None:
    d = engine.check_command(entry["cmd"], workspace, workspace)
    assert d.verdict is VERDICTS[entry["expect"]], (d.reason, d.rule)
    if d.verdict is Verdict.DENY:
        assert d.grant_key == ""
    assert d.reason


@pytest.mark.parametrize("entry", [e for e in CORPUS if e["expect"] == "deny" or e.get("strict")], ids=_id)
def test_corpus_strict(entry: dict[str, Any], strict_engine: PolicyEngine, workspace: Path) -> None:
    d = strict_engine.check_command(entry["cmd"], workspace, workspace)
    assert d.verdict is VERDICTS[entry.get("strict", entry["expect"])], d.reason


def test_corpus_figures(engine: PolicyEngine, workspace: Path) -> None:
    deny = [e for e in CORPUS if e["expect"] == "deny"]
    benign = [e for e in CORPUS if e.get("benign")]
    caught = sum(engine.check_command(e["cmd"], workspace, workspace).verdict is Verdict.DENY for e in deny)
    never_allowed = sum(
        engine.check_command(e["cmd"], workspace, workspace).verdict is not Verdict.ALLOW for e in deny
    )
    prompts = [
        e["cmd"]
        for e in benign
        if engine.check_command(e["cmd"], workspace, workspace).verdict is not Verdict.ALLOW
    ]
    assert never_allowed == len(deny), "a deny case was allowed"
    assert caught == len(deny), f"{len(deny) - caught} deny cases only asked"
    assert len(benign) >= 100
    assert prompts == [], f"false prompts on benign commands: {prompts}"


def test_strict_mode_never_allows_more(
    engine: PolicyEngine, strict_engine: PolicyEngine, workspace: Path
) -> None:
    rank = {Verdict.ALLOW: 0, Verdict.REQUIRE_APPROVAL: 1, Verdict.DENY: 2}
    for e in CORPUS:
        normal = engine.check_command(e["cmd"], workspace, workspace).verdict
        strict = strict_engine.check_command(e["cmd"], workspace, workspace).verdict
        assert rank[strict] >= rank[normal], e["cmd"]


def test_strict_turns_allowed_medium_into_approval(strict_engine: PolicyEngine, workspace: Path) -> None:
    assert strict_engine.check_command("npm test", workspace, workspace).verdict is Verdict.REQUIRE_APPROVAL
    assert strict_engine.check_command("frobnicate", workspace, workspace).verdict is Verdict.DENY
    assert strict_engine.check_command("ls -la", workspace, workspace).verdict is Verdict.ALLOW
