"""shell.run inside the OS sandbox, with the real PolicyEngine: what the policy allows still cannot reach
HOME, .git, editor config, the server's state or the network; approvals give exactly what they said.

Every attack runs in a temporary workspace under a fake HOME; the checks look at the host (the disk,
a TCP listener on 127.0.0.1, the command's output).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from openagent_lsp.policy.engine import PolicyEngine
from openagent_lsp.policy.prompt import approval_message
from openagent_lsp.policy.types import ApprovalAnswer, ApprovalRequest
from openagent_lsp.sandbox import SandboxLevel, available_levels
from openagent_lsp.tools.base import ToolContext
from openagent_lsp.tools.confinement import Confinement, repository_dirs
from openagent_lsp.tools.guard import InMemoryGrantStore, Outcome, ToolGuard
from openagent_lsp.tools.shell import ShellTool
from openagent_lsp.tools.testing import MemoryAuditLog, ScriptedApprover
from tests.support.listener import Listener

pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.skipif(SandboxLevel.FULL not in available_levels(), reason="needs the full OS sandbox"),
]
BASHRC = "# the user's own bashrc\n"
GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "init.defaultBranch=main"]


@pytest.fixture
def listener() -> Iterator[Listener]:
    lst = Listener()
    yield lst
    lst.close()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    h = (tmp_path / "home").resolve()
    (h / ".ssh").mkdir(parents=True)
    (h / ".ssh" / "id_rsa").write_text("PRIVATE KEY planted\n")
    (h / ".bashrc").write_text(BASHRC)
    monkeypatch.setenv("HOME", str(h))
    return h


@pytest.fixture
def repo(tmp_path: Path, home: Path) -> Path:
    ws = (tmp_path / "ws").resolve()
    (ws / ".vscode").mkdir(parents=True)
    (ws / ".vscode" / "settings.json").write_text("{}\n")
    (ws / "src.txt").write_text("source\n")
    subprocess.run([*GIT, "init", "-q"], cwd=ws, check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=ws, check=True)
    subprocess.run([*GIT, "commit", "-qm", "first"], cwd=ws, check=True)
    return ws


@pytest.fixture
def state(tmp_path: Path) -> Path:
    s = tmp_path / "state"
    (s / "audit").mkdir(parents=True)
    (s / "audit" / "audit.key").write_bytes(b"K" * 32)
    return s


def _ctx(ws: Path, home: Path, state: Path, approver: ScriptedApprover) -> ToolContext:
    confinement = Confinement(SandboxLevel.FULL, protected=(state,), home=home, quarantine=state / "quarantine")
    guard = ToolGuard(PolicyEngine.default(), approver, InMemoryGrantStore(), MemoryAuditLog(), ws,
                      approval_timeout_s=5, confinement=confinement)
    return ToolContext(ws, guard)


def _unchanged(ws: Path, home: Path, git_config: str) -> None:
    assert (home / ".bashrc").read_text() == BASHRC
    assert (ws / ".git" / "config").read_text() == git_config
    assert (ws / ".vscode" / "settings.json").read_text() == "{}\n"
    assert not (ws / ".git" / "hooks" / "pre-commit").exists()


def _evil_makefile(repo: Path, home: Path, state: Path, listener: Listener) -> None:
    recipe = "\n".join(f"\t-{line}" for line in (
        f"echo pwned >> {home}/.bashrc",
        "echo '[core]' >> .git/config",
        "echo 'touch /tmp/x' > .git/hooks/pre-commit",
        "echo '{\"evil\": 1}' > .vscode/settings.json",
        "echo 'export X=1' > .envrc",
        f"cat {home}/.ssh/id_rsa",
        f"cat {state}/audit/audit.key",
        f"bash -c 'echo hi > /dev/tcp/127.0.0.1/{listener.port}'",
        f"python3 -c \"import socket; socket.create_connection(('127.0.0.1', {listener.port}), timeout=3)\"",
        "echo done",
    ))
    (repo / "Makefile").write_text(f"all:\n{recipe}\n")
    subprocess.run([*GIT, "add", "Makefile"], cwd=repo, check=True)
    subprocess.run([*GIT, "commit", "-qm", "make"], cwd=repo, check=True)


async def test_without_the_sandbox_the_same_runner_does_damage(
    repo: Path, home: Path, state: Path, listener: Listener
) -> None:
    """The control: the attack below is real. Run unconfined (a policy wrongly told there is a sandbox),
    it changes HOME, .git and editor config and reaches the listener -- all inside this test's tmp dir."""
    _evil_makefile(repo, home, state, listener)
    confinement = Confinement(SandboxLevel.NONE)
    guard = ToolGuard(PolicyEngine.default(), ScriptedApprover(), InMemoryGrantStore(), MemoryAuditLog(), repo,
                      confinement=confinement)
    result = await ShellTool().invoke({"command": "make"}, ToolContext(repo, guard))
    assert "done" in result.output
    assert "pwned" in (home / ".bashrc").read_text()
    assert "evil" in (repo / ".vscode" / "settings.json").read_text()
    assert "PRIVATE KEY" in result.output and listener.accepted >= 1


async def test_a_runner_the_policy_allows_cannot_reach_what_the_sandbox_protects(
    repo: Path, home: Path, state: Path, listener: Listener
) -> None:
    """The class the policy cannot see: an allowed runner executing a workspace file with bad intent."""
    _evil_makefile(repo, home, state, listener)
    git_config = (repo / ".git" / "config").read_text()
    approver = ScriptedApprover()  # denies everything: make must not even ask
    ctx = _ctx(repo, home, state, approver)
    result = await ShellTool().invoke({"command": "make"}, ctx)
    assert approver.requests == [], "make is an allowed runner"
    assert result.metadata["sandbox"] == "full" and "done" in result.output, result.output
    _unchanged(repo, home, git_config)
    assert "PRIVATE KEY" not in result.output and "KKKK" not in result.output
    assert not (repo / ".envrc").exists() and ".envrc" in result.output  # created, then moved out
    assert list((state / "quarantine").rglob(".envrc"))
    assert listener.accepted == 0


async def test_run_once_without_network_cannot_reach_the_listener(
    repo: Path, home: Path, state: Path, listener: Listener
) -> None:
    approver = ScriptedApprover([ApprovalAnswer.RUN_ONCE])
    ctx = _ctx(repo, home, state, approver)
    script = repo / "conn.py"
    script.write_text(f"import socket\nprint('started', flush=True)\n"
                      f"socket.create_connection(('127.0.0.1', {listener.port}), timeout=3)\n")
    ctx.guard.note_file_write(script)  # the agent wrote it: running it asks
    result = await ShellTool().invoke({"command": "python3 conn.py"}, ctx)
    assert len(approver.requests) == 1 and "no network" in approver.requests[0].sandbox
    assert not result.ok and result.metadata["network"] is False
    assert "started" in result.output and "Error" in result.output, result.output  # it ran, and failed to connect
    assert listener.accepted == 0


async def test_a_network_command_approved_with_network_reaches_it(
    repo: Path, home: Path, state: Path, listener: Listener
) -> None:
    approver = ScriptedApprover([ApprovalAnswer.ALWAYS_ALLOW])
    ctx = _ctx(repo, home, state, approver)
    command = f"curl -s -o /dev/null http://127.0.0.1:{listener.port}/"
    await ShellTool().invoke({"command": command}, ctx)
    [request] = approver.requests
    message = approval_message(request)
    assert "network ALLOWED" in message and "with network access" in message
    assert listener.accepted == 1
    # The grant carries the network too: the same command runs again without a prompt, with network.
    again = await ShellTool().invoke({"command": command}, ctx)
    assert len(approver.requests) == 1 and again.metadata["authorization"] == Outcome.GRANTED.value
    assert again.metadata["network"] is True and listener.accepted == 2


async def test_an_approved_write_to_editor_config_runs_and_nothing_else_may(
    repo: Path, home: Path, state: Path
) -> None:
    approver = ScriptedApprover([ApprovalAnswer.RUN_ONCE])
    ctx = _ctx(repo, home, state, approver)
    result = await ShellTool().invoke({"command": "echo '{\"a\": 1}' > .vscode/settings.json"}, ctx)
    assert result.ok, result.error
    assert "Always allow" not in approval_message(approver.requests[0])  # protected: never granted
    assert (repo / ".vscode" / "settings.json").read_text() == '{"a": 1}\n'


async def test_a_script_changed_after_approval_does_not_run(repo: Path, home: Path, state: Path) -> None:
    script = repo / "job.py"
    script.write_text("open('ran-approved', 'w').write('1')\n")

    class SwappingApprover(ScriptedApprover):
        async def ask(self, request: ApprovalRequest) -> ApprovalAnswer:
            self.requests.append(request)
            script.write_text("open('ran-swapped', 'w').write('1')\n")  # swapped while the user reads
            return ApprovalAnswer.RUN_ONCE

    ctx = _ctx(repo, home, state, SwappingApprover())
    ctx.guard.note_file_write(script)  # the agent wrote it: the runner asks
    result = await ShellTool().invoke({"command": "python3 job.py"}, ctx)
    assert not result.ok and "changed" in result.error
    assert not (repo / "ran-swapped").exists() and not (repo / "ran-approved").exists()


async def test_git_works_in_a_worktree_and_cannot_write_the_repository(
    repo: Path, home: Path, state: Path, tmp_path: Path
) -> None:
    worktree = (tmp_path / "wt").resolve()
    subprocess.run([*GIT, "worktree", "add", "-q", "-b", "side", str(worktree)], cwd=repo, check=True)
    assert repository_dirs(worktree)[-1] == (repo / ".git").resolve()
    ctx = _ctx(worktree, home, state, ScriptedApprover())
    status = await ShellTool().invoke({"command": "git status"}, ctx)
    assert status.ok, status.output
    refs = subprocess.run(["git", "for-each-ref"], cwd=repo, capture_output=True, text=True).stdout
    (worktree / "new.txt").write_text("x\n")
    add = await ShellTool().invoke({"command": "git add new.txt"}, ctx)  # git alone writing its index
    assert add.ok, add.output
    assert subprocess.run(["git", "for-each-ref"], cwd=repo, capture_output=True, text=True).stdout == refs
    # Something other than git in the same command line gets no writable .git: it asks, and is denied.
    mixed = await ShellTool().invoke({"command": "git add new.txt && touch other"}, ctx)
    assert not mixed.ok and not (worktree / "other").exists()


async def test_an_approved_commit_writes_git_but_runs_no_hook(repo: Path, home: Path, state: Path) -> None:
    """With .git writable, a hook from a workspace folder (here one the repository's config names) could
    rewrite .git/config for the user's next git: an approved commit works, and runs no hook."""
    subprocess.run([*GIT, "config", "core.hooksPath", "hooks"], cwd=repo, check=True)
    (repo / "hooks").mkdir()
    (repo / "hooks" / "pre-commit").write_text("#!/bin/sh\necho '[alias] st = !touch PWNED' >> .git/config\n")
    (repo / "hooks" / "pre-commit").chmod(0o755)
    git_config = (repo / ".git" / "config").read_text()
    (repo / "src.txt").write_text("changed\n")
    subprocess.run([*GIT, "add", "src.txt"], cwd=repo, check=True)
    approver = ScriptedApprover([ApprovalAnswer.RUN_ONCE])
    ctx = _ctx(repo, home, state, approver)
    result = await ShellTool().invoke({"command": "git -c user.name=t -c user.email=t@e.invalid commit -qm x"}, ctx)
    assert ".git writable" in approver.requests[0].sandbox
    assert result.ok, result.output
    log = subprocess.run(["git", "log", "--format=%s"], cwd=repo, capture_output=True, text=True).stdout
    assert log.splitlines()[0] == "x" and (repo / ".git" / "config").read_text() == git_config


def test_the_prompt_line_says_what_the_sandbox_allows() -> None:
    full = Confinement(SandboxLevel.FULL).describe()
    assert "writes only inside the workspace" in full and "no network" in full and "HOME" in full
    assert "network ALLOWED" in Confinement(SandboxLevel.FULL).describe(network=True)
    none = Confinement(SandboxLevel.NONE).describe()
    assert none.startswith("NONE") and "unsandboxed" in none
    assert Confinement(SandboxLevel.NONE).spec(Path("/tmp")) is None
