"""check_path: resolution (.., ~, symlinks, absolute), NUL bytes, long paths, secrets and .git."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from openagent_lsp.policy.engine import PolicyEngine
from openagent_lsp.policy.types import FileOp, Verdict

A, D, Q = Verdict.ALLOW, Verdict.DENY, Verdict.REQUIRE_APPROVAL


@pytest.mark.parametrize(
    ("op", "path", "expected"),
    [
        (FileOp.READ, "src/main.py", A),
        (FileOp.WRITE, "src/new.py", A),
        (FileOp.WRITE, "src/deep/new/file.py", A),
        (FileOp.LIST, ".", A),
        (FileOp.DELETE, "src/main.py", Q),
        (FileOp.READ, ".env", Q),
        (FileOp.READ, "config/.env.production", Q),
        (FileOp.READ, "certs/server.pem", Q),
        (FileOp.READ, "keys/id_rsa", Q),
        (FileOp.READ, "keys/id_rsa.pub", Q),
        (FileOp.WRITE, ".git/config", D),
        (FileOp.WRITE, ".git/hooks/pre-commit", D),
        (FileOp.WRITE, ".GIT/hooks/pre-commit", D),
        (FileOp.DELETE, ".git", D),
        (FileOp.WRITE, "vendor/lib/.git/config", D),
        (FileOp.WRITE, "src/../../outside.txt", D),
        (FileOp.WRITE, "../outside.txt", D),
        (FileOp.DELETE, "../outside.txt", D),
        (FileOp.WRITE, "/etc/passwd", D),
        (FileOp.WRITE, "~/.bashrc", D),
        (FileOp.READ, "~/.ssh/id_rsa", Q),
        (FileOp.READ, "/etc/hostname", Q),
        (FileOp.READ, "src/../src/main.py", A),
        (FileOp.WRITE, "/dev/sda", D),
        (FileOp.DELETE, ".", D),
        (FileOp.DELETE, "", D),
        (FileOp.WRITE, ".github/workflows/ci.yml", Q),
    ],
)
def test_check_path_table(
    engine: PolicyEngine, workspace: Path, op: FileOp, path: str, expected: Verdict
) -> None:
    d = engine.check_path(op, path, workspace)
    assert d.verdict is expected, d.reason
    if expected is D:
        assert d.grant_key == ""


def test_absolute_path_inside_workspace(engine: PolicyEngine, workspace: Path) -> None:
    d = engine.check_path(FileOp.WRITE, str(workspace / "src" / "x.py"), workspace)
    assert d.verdict is A
    assert f"resolved={workspace / 'src' / 'x.py'}" in d.details


def test_sibling_with_common_prefix_is_outside(engine: PolicyEngine, workspace: Path) -> None:
    sibling = workspace.parent / (workspace.name + "-evil")
    sibling.mkdir()
    assert engine.check_path(FileOp.WRITE, str(sibling / "x"), workspace).verdict is D


def test_symlink_pointing_outside(engine: PolicyEngine, workspace: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("x")
    (workspace / "link").symlink_to(outside)
    (workspace / "filelink").symlink_to(outside / "secret.txt")
    assert engine.check_path(FileOp.WRITE, "link/new.txt", workspace).verdict is D
    assert engine.check_path(FileOp.WRITE, "filelink", workspace).verdict is D
    assert engine.check_path(FileOp.DELETE, "link/secret.txt", workspace).verdict is D
    read = engine.check_path(FileOp.READ, "filelink", workspace)
    assert read.verdict is Q and "outside" in read.reason


def test_symlink_into_git_dir(engine: PolicyEngine, workspace: Path) -> None:
    (workspace / "hooks").symlink_to(workspace / ".git" / "hooks")
    assert engine.check_path(FileOp.WRITE, "hooks/pre-commit", workspace).verdict is D


def test_symlink_loop_is_refused_cleanly(engine: PolicyEngine, workspace: Path) -> None:
    (workspace / "a").symlink_to(workspace / "b")
    (workspace / "b").symlink_to(workspace / "a")
    d = engine.check_path(FileOp.WRITE, "a/x", workspace)
    assert d.verdict in (D, A)  # must not raise; a loop can never escape the workspace


def test_nul_byte_is_denied_with_reason(engine: PolicyEngine, workspace: Path) -> None:
    d = engine.check_path(FileOp.READ, "ok.txt\x00/../../etc/passwd", workspace)
    assert d.verdict is D
    assert "NUL" in d.reason


@pytest.mark.parametrize("path", ["a" * 5000, "x/" * 3000, ("b" * 300) + "/c"])
def test_very_long_paths_are_denied(engine: PolicyEngine, workspace: Path, path: str) -> None:
    d = engine.check_path(FileOp.WRITE, path, workspace)
    assert d.verdict is D
    assert "long" in d.reason


def test_tilde_is_the_home_directory(engine: PolicyEngine, workspace: Path) -> None:
    d = engine.check_path(FileOp.WRITE, "~/x.txt", workspace)
    assert d.verdict is D
    assert os.path.expanduser("~") in d.reason


def test_workspace_given_as_relative_path(
    engine: PolicyEngine, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(workspace.parent)
    assert engine.check_path(FileOp.WRITE, "src/x.py", Path(workspace.name)).verdict is A
    assert engine.check_path(FileOp.WRITE, "../x.py", Path(workspace.name)).verdict is D


def test_file_grant_key_is_canonical(engine: PolicyEngine, workspace: Path) -> None:
    a = engine.check_path(FileOp.DELETE, "src/main.py", workspace)
    b = engine.check_path(FileOp.DELETE, "./src/../src/main.py", workspace)
    c = engine.check_path(FileOp.DELETE, "src/other.py", workspace)
    assert a.grant_key and a.grant_key == b.grant_key
    assert a.grant_key != c.grant_key


@pytest.mark.parametrize(
    "path",
    [
        ".vscode/settings.json",
        ".vscode/tasks.json",
        "pkg/.vscode/launch.json",
        ".idea/workspace.xml",
        ".nvim.lua",
        ".exrc",
        ".nvimrc",
        ".envrc",
        ".pre-commit-config.yaml",
        ".husky/pre-commit",
        ".github/workflows/ci.yml",
        ".github/actions/setup/action.yml",
        ".gitlab-ci.yml",
        ".circleci/config.yml",
        "Jenkinsfile",
        ".devcontainer/devcontainer.json",
        ".gitattributes",
        ".gitmodules",
    ],
)
@pytest.mark.parametrize("op", [FileOp.WRITE, FileOp.DELETE])
def test_configuration_that_runs_code_always_asks(
    engine: PolicyEngine, workspace: Path, path: str, op: FileOp
) -> None:
    d = engine.check_path(op, path, workspace)
    assert d.verdict is Q, d.reason
    assert d.grant_key == "", "an always-allow grant must never cover it"


def test_protected_configuration_through_a_symlink(engine: PolicyEngine, workspace: Path) -> None:
    (workspace / ".vscode").mkdir()
    (workspace / "innocent").symlink_to(workspace / ".vscode")
    assert engine.check_path(FileOp.WRITE, "innocent/settings.json", workspace).verdict is Q


def test_a_file_with_other_hard_links_asks_before_a_write(engine: PolicyEngine, workspace: Path) -> None:
    (workspace / "notes.txt").write_text("x\n")
    assert engine.check_path(FileOp.WRITE, "notes.txt", workspace).verdict is A
    os.link(workspace / "notes.txt", workspace / "other-name")
    d = engine.check_path(FileOp.WRITE, "notes.txt", workspace)
    assert d.verdict is Q and "hard link" in d.reason


@pytest.mark.parametrize("pattern", ["[]", "[!]", "a[]b", "[]]"])
def test_odd_bracket_globs_do_not_crash(pattern: str) -> None:
    from openagent_lsp.policy.paths import glob_match

    glob_match(pattern, "x")  # must not raise (an exception here made the engine deny benign commands)
