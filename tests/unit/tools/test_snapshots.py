"""Workspace snapshots: taken without touching the user's repository, and restored without following a
link the agent planted; ignored files stay out; nothing in the workspace can make git run a program."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

from openagent_lsp.tools.snapshots import WorkspaceSnapshots

pytestmark = pytest.mark.timeout(120)
GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "init.defaultBranch=main"]


def _git(ws: Path, *args: str) -> str:
    return subprocess.run([*GIT, *args], cwd=ws, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    ws = (tmp_path / "ws").resolve()
    (ws / "src").mkdir(parents=True)
    (ws / "src" / "app.py").write_text("print('v1')\n")
    (ws / "run.sh").write_text("#!/bin/sh\necho hi\n")
    (ws / "run.sh").chmod(0o755)
    (ws / ".gitignore").write_text("node_modules/\n*.log\n")
    _git(ws, "init", "-q")
    _git(ws, "add", "-A")
    _git(ws, "commit", "-qm", "first")
    (ws / "notes.txt").write_text("untracked, not ignored\n")
    return ws


@pytest.fixture
def snaps(repo: Path, tmp_path: Path) -> WorkspaceSnapshots:
    return WorkspaceSnapshots(repo, tmp_path / "state" / "snapshots")


def _user_repo_state(ws: Path) -> tuple[str, str, str, str]:
    index = hashlib.sha256((ws / ".git" / "index").read_bytes()).hexdigest()
    refs = _git(ws, "for-each-ref")
    return _git(ws, "rev-parse", "HEAD"), _git(ws, "status", "--porcelain"), index, refs


def test_a_snapshot_leaves_the_users_repository_alone(repo: Path, snaps: WorkspaceSnapshots) -> None:
    before = _user_repo_state(repo)
    tree = snaps.take()
    assert len(tree) == 40
    assert _user_repo_state(repo) == before
    assert not snaps.git_dir.is_relative_to(repo)


def test_created_modified_deleted_and_mode_changes_are_restored(repo: Path, snaps: WorkspaceSnapshots) -> None:
    before = snaps.take()
    (repo / "src" / "app.py").write_text("print('agent was here')\n")
    (repo / "notes.txt").unlink()
    (repo / "run.sh").chmod(0o644)
    (repo / "new" / "deep").mkdir(parents=True)
    (repo / "new" / "deep" / "file.py").write_text("x = 1\n")
    after = snaps.take()
    changes = snaps.changes(before, after)
    assert {c.path for c in changes} == {"src/app.py", "notes.txt", "run.sh", "new/deep/file.py"}
    snaps.restore(changes, snaps.git_dir.with_suffix(".trash"))
    assert (repo / "src" / "app.py").read_text() == "print('v1')\n"
    assert (repo / "notes.txt").read_text() == "untracked, not ignored\n"
    assert os.access(repo / "run.sh", os.X_OK)
    assert not (repo / "new" / "deep" / "file.py").exists()
    assert snaps.changes(before, snaps.take()) == []


def test_ignored_files_are_neither_snapshotted_nor_removed(repo: Path, snaps: WorkspaceSnapshots) -> None:
    before = snaps.take()
    (repo / "node_modules").mkdir()
    (repo / "node_modules" / "dep.js").write_text("module.exports = 1\n")
    (repo / "build.log").write_text("log\n")
    after = snaps.take()
    assert snaps.changes(before, after) == []
    (repo / ".git" / "info").mkdir(exist_ok=True)
    (repo / ".git" / "info" / "exclude").write_text("private.txt\n")
    (repo / "private.txt").write_text("mine\n")
    assert snaps.changes(before, snaps.take()) == []  # the repository's own excludes apply too


def test_a_link_planted_where_a_directory_was_is_removed_not_followed(
    repo: Path, snaps: WorkspaceSnapshots, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "app.py").write_text("outside file\n")
    before = snaps.take()
    subprocess.run(["rm", "-rf", str(repo / "src")], check=True)
    (repo / "src").symlink_to(outside)
    changes = snaps.changes(before, snaps.take())
    snaps.restore(changes, snaps.git_dir.with_suffix(".trash"))
    assert (outside / "app.py").read_text() == "outside file\n"  # never written through the link
    assert not (repo / "src").is_symlink()
    assert (repo / "src" / "app.py").read_text() == "print('v1')\n"


def test_a_plain_folder_without_git_can_be_snapshotted(tmp_path: Path) -> None:
    ws = tmp_path / "plain"
    ws.mkdir()
    (ws / "a.txt").write_text("a\n")
    snaps = WorkspaceSnapshots(ws, tmp_path / "snaps")
    before = snaps.take()
    (ws / "a.txt").write_text("changed\n")
    snaps.restore(snaps.changes(before, snaps.take()), tmp_path / "trash")
    assert (ws / "a.txt").read_text() == "a\n"
    assert not (ws / ".git").exists()


def test_nothing_in_the_workspace_makes_snapshot_git_run_a_program(
    repo: Path, snaps: WorkspaceSnapshots, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "filter-ran"
    home = tmp_path / "home"
    home.mkdir()
    # A filter defined in the user's global config and selected by an agent-written .gitattributes.
    (home / ".gitconfig").write_text(f"[filter \"evil\"]\n\tclean = touch {marker}\n\trequired = false\n")
    monkeypatch.setenv("HOME", str(home))
    (repo / ".gitattributes").write_text("* filter=evil\n")
    (repo / "src" / "app.py").write_text("changed\n")
    snaps.take()
    assert not marker.exists()
