"""git.*: real temporary repositories made with GitPython; commit is approval-gated; hooks never run."""

from __future__ import annotations

from pathlib import Path

import git
import pytest

from openagent_lsp.errors import ToolError
from openagent_lsp.policy.types import ApprovalAnswer
from openagent_lsp.tools.base import ToolContext
from openagent_lsp.tools.git import (
    GitBlameTool,
    GitCommitTool,
    GitDiffTool,
    GitLogTool,
    GitStatusTool,
    commit_command_text,
    repository_top,
    safe_config_args,
    staged_diff,
)
from openagent_lsp.tools.testing import MemoryAuditLog, ScriptedApprover


@pytest.fixture
def repo(workspace: Path) -> git.Repo:
    r = git.Repo.init(workspace)
    with r.config_writer() as cw:
        cw.set_value("user", "name", "Test User")
        cw.set_value("user", "email", "test@example.com")
        cw.set_value("commit", "gpgsign", "false")
    (workspace / "app.py").write_text("def main():\n    return 1\n")
    r.index.add(["app.py"])
    r.index.commit("initial commit")
    return r


async def test_status_shows_modified_and_untracked(ctx: ToolContext, repo: git.Repo, workspace: Path) -> None:
    (workspace / "app.py").write_text("def main():\n    return 2\n")
    (workspace / "new.txt").write_text("n")
    result = await GitStatusTool().invoke({}, ctx)
    assert result.ok, result.error
    assert " M app.py" in result.output and "?? new.txt" in result.output


async def test_diff_unstaged_staged_and_path(ctx: ToolContext, repo: git.Repo, workspace: Path) -> None:
    (workspace / "app.py").write_text("def main():\n    return 2\n")
    result = await GitDiffTool().invoke({}, ctx)
    assert result.ok and "-    return 1" in result.output and "+    return 2" in result.output
    staged = await GitDiffTool().invoke({"staged": True}, ctx)
    assert staged.ok and "return 2" not in staged.output
    repo.index.add(["app.py"])
    assert "+    return 2" in staged_diff(workspace)
    by_path = await GitDiffTool().invoke({"ref": "HEAD", "path": "app.py"}, ctx)
    assert "+    return 2" in by_path.output


async def test_refs_that_look_like_options_are_rejected(
    ctx: ToolContext, repo: git.Repo, workspace: Path
) -> None:
    target = workspace.parent / "pwned"
    result = await GitDiffTool().invoke({"ref": f"--output={target}"}, ctx)
    assert not result.ok and "ref" in result.error
    assert not target.exists()
    result = await GitLogTool().invoke({"ref": "-p"}, ctx)
    assert not result.ok


async def test_paths_outside_workspace_are_refused(ctx: ToolContext, repo: git.Repo) -> None:
    result = await GitBlameTool().invoke({"path": "../../etc/passwd"}, ctx)
    assert not result.ok and result.metadata["reason"] == "denied"


async def test_log_and_blame(ctx: ToolContext, repo: git.Repo) -> None:
    log = await GitLogTool().invoke({"max_count": 5}, ctx)
    assert log.ok and "initial commit" in log.output and "Test User" in log.output
    blame = await GitBlameTool().invoke({"path": "app.py", "start_line": 2, "end_line": 2}, ctx)
    assert blame.ok and "return 1" in blame.output and "def main" not in blame.output


async def test_commit_requires_approval_and_denial_commits_nothing(
    ctx: ToolContext, repo: git.Repo, workspace: Path, approver: ScriptedApprover, audit: MemoryAuditLog
) -> None:
    (workspace / "app.py").write_text("changed\n")
    repo.index.add(["app.py"])
    head = repo.head.commit.hexsha
    denied = await GitCommitTool().invoke({"message": "feat: change"}, ctx)
    assert not denied.ok and repo.head.commit.hexsha == head
    [request] = approver.requests
    assert request.subject == commit_command_text("feat: change") == "git commit -m 'feat: change'"

    approver.answers = [ApprovalAnswer.RUN_ONCE]
    ok = await GitCommitTool().invoke({"message": "feat: change"}, ctx)
    assert ok.ok, ok.error
    assert repo.head.commit.hexsha != head and repo.head.commit.message.strip() == "feat: change"
    assert audit.events("tool_result")[-1]["exit_code"] == 0


async def test_commit_of_paths_only(
    ctx: ToolContext, repo: git.Repo, workspace: Path, approver: ScriptedApprover
) -> None:
    (workspace / "app.py").write_text("changed\n")
    (workspace / "other.py").write_text("o\n")
    repo.index.add(["other.py"])
    approver.answers = [ApprovalAnswer.RUN_ONCE]
    result = await GitCommitTool().invoke({"message": "only app", "paths": ["app.py"]}, ctx)
    assert result.ok, result.error
    assert "-- app.py" in approver.requests[0].subject
    assert set(repo.head.commit.stats.files) == {"app.py"}


async def test_commit_never_runs_repository_hooks(
    ctx: ToolContext, repo: git.Repo, workspace: Path, approver: ScriptedApprover
) -> None:
    marker = workspace.parent / "hook-ran"
    hook = Path(repo.git_dir) / "hooks" / "pre-commit"
    hook.parent.mkdir(exist_ok=True)
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)
    (workspace / "app.py").write_text("changed\n")
    repo.index.add(["app.py"])
    approver.answers = [ApprovalAnswer.RUN_ONCE]
    result = await GitCommitTool().invoke({"message": "x"}, ctx)
    assert result.ok, result.error
    assert not marker.exists()


async def test_fsmonitor_from_repo_config_is_not_run(
    ctx: ToolContext, repo: git.Repo, workspace: Path
) -> None:
    marker = workspace.parent / "fsmonitor-ran"
    script = workspace.parent / "fsmon.sh"
    script.write_text(f"#!/bin/sh\ntouch {marker}\n")
    script.chmod(0o755)
    with repo.config_writer() as cw:
        cw.set_value("core", "fsmonitor", str(script))
    result = await GitStatusTool().invoke({}, ctx)
    assert result.ok, result.error
    assert not marker.exists()


async def test_nothing_to_commit_is_a_clear_error(
    ctx: ToolContext, repo: git.Repo, approver: ScriptedApprover
) -> None:
    approver.answers = [ApprovalAnswer.RUN_ONCE]
    result = await GitCommitTool().invoke({"message": "empty"}, ctx)
    assert not result.ok and "git commit failed" in result.error


async def test_not_a_repository(ctx: ToolContext, workspace: Path, approver: ScriptedApprover) -> None:
    result = await GitStatusTool().invoke({}, ctx)
    assert not result.ok and result.error == f"not a git repository: {workspace}"
    commit = await GitCommitTool().invoke({"message": "x"}, ctx)
    assert not commit.ok and "not a git repository" in commit.error
    assert approver.requests == []  # the user is not asked about something that cannot happen
    with pytest.raises(ToolError, match="not a git repository"):
        repository_top(workspace)


def test_safe_config_args_disable_program_execution() -> None:
    args = safe_config_args()
    assert "core.fsmonitor=false" in args and "core.hooksPath=/dev/null" in args
    assert args[0] == "-c"


async def test_read_tools_stay_inside_a_workspace_that_is_a_repo_subfolder(
    tmp_path: Path, approver: ScriptedApprover
) -> None:
    from openagent_lsp.tools.guard import InMemoryGrantStore, ToolGuard
    from openagent_lsp.tools.testing import FakePolicyEngine

    top = tmp_path / "mono"
    (top / "ws").mkdir(parents=True)
    r = git.Repo.init(top)
    with r.config_writer() as cw:
        cw.set_value("user", "name", "T")
        cw.set_value("user", "email", "t@example.com")
    (top / "secret.txt").write_text("outside v1\n")
    (top / "ws" / "in.txt").write_text("inside v1\n")
    r.index.add(["secret.txt", "ws/in.txt"])
    r.index.commit("outside and inside")
    (top / "secret.txt").write_text("outside v2\n")
    (top / "ws" / "in.txt").write_text("inside v2\n")
    ws = (top / "ws").resolve()
    guard = ToolGuard(FakePolicyEngine(), approver, InMemoryGrantStore(), MemoryAuditLog(), ws)
    ctx = ToolContext(ws, guard)
    status = await GitStatusTool().invoke({}, ctx)
    diff = await GitDiffTool().invoke({}, ctx)
    assert status.ok and "in.txt" in status.output and "secret.txt" not in status.output
    assert diff.ok and "inside v2" in diff.output and "outside" not in diff.output
    by_path = await GitDiffTool().invoke({"path": "in.txt"}, ctx)
    assert "inside v2" in by_path.output
