"""shell.run: guarded, exact argv, process-group kill, no orphans, secrets stripped, output capped."""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
from pathlib import Path

import pytest

from openagent_lsp.llm.base import CancelToken
from openagent_lsp.policy.types import ApprovalAnswer
from openagent_lsp.sandbox import SandboxLevel, available_levels
from openagent_lsp.tools.base import ToolContext
from openagent_lsp.tools.confinement import Confinement
from openagent_lsp.tools.guard import InMemoryGrantStore, ToolGuard
from openagent_lsp.tools.shell import ShellTool, is_secret_name, run_process, sanitized_env
from openagent_lsp.tools.testing import FakePolicyEngine, MemoryAuditLog, ScriptedApprover


@pytest.fixture
def approve_all(approver: ScriptedApprover) -> ScriptedApprover:
    approver.default = ApprovalAnswer.RUN_ONCE
    return approver


def _processes_named(token: str) -> list[int]:
    """Live processes on this machine whose command line contains ``token`` (zombies run nothing).

    Found through the host's /proc, so a process inside the sandbox's PID namespace (whose own idea
    of its pid means nothing out here) is found too.
    """
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmdline = fh.read()
            with open(f"/proc/{entry}/stat") as fh:
                state = fh.read().rsplit(") ", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if token.encode() in cmdline and state != "Z":
            out.append(int(entry))
    return out


def _wait_gone(token: str, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _processes_named(token):
            return True
        time.sleep(0.05)
    return False


async def _wait_file(path: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, "the command never started"
        await asyncio.sleep(0.02)


@pytest.fixture(params=["plain", "sandboxed"])
def kill_ctx(request: pytest.FixtureRequest, workspace: Path, engine: FakePolicyEngine) -> ToolContext:
    """A context whose commands run plainly (systems without a sandbox) or in the OS sandbox."""
    if request.param == "plain":
        level = SandboxLevel.NONE
    else:
        if not available_levels():
            pytest.skip("no OS sandbox on this machine")
        level = available_levels()[0]
    guard = ToolGuard(engine, ScriptedApprover(default=ApprovalAnswer.RUN_ONCE), InMemoryGrantStore(),
                      MemoryAuditLog(), workspace, approval_timeout_s=1.0, confinement=Confinement(level))
    return ToolContext(workspace, guard)


def _token() -> str:
    return f"openagent-test-{uuid.uuid4().hex}"


async def test_allowed_command_runs_in_workspace(ctx: ToolContext, workspace: Path) -> None:
    result = await ShellTool().invoke({"command": "pwd"}, ctx)
    assert result.ok, result.error
    assert result.output.strip() == str(workspace)
    assert result.metadata["exit_code"] == 0


async def test_denied_command_is_not_run(
    ctx: ToolContext, workspace: Path, approver: ScriptedApprover, audit: MemoryAuditLog
) -> None:
    approver.default = ApprovalAnswer.ALWAYS_ALLOW
    marker = workspace / "marker"
    result = await ShellTool().invoke({"command": f"rm -f x; touch {marker}"}, ctx)
    assert not result.ok and "not allowed" in result.error
    assert not marker.exists()
    assert audit.events("tool_result") == []  # nothing ran, so no result


async def test_user_denial_is_not_run(ctx: ToolContext, workspace: Path, approver: ScriptedApprover) -> None:
    marker = workspace / "marker"
    result = await ShellTool().invoke({"command": f"touch {marker}"}, ctx)
    assert not result.ok and "denied by the user" in result.error
    assert not marker.exists()
    assert approver.requests[0].subject == f"touch {marker}"


async def test_run_once_runs_and_audits_exit_code(
    ctx: ToolContext, workspace: Path, approver: ScriptedApprover, audit: MemoryAuditLog
) -> None:
    approver.answers = [ApprovalAnswer.RUN_ONCE]
    marker = workspace / "marker"
    result = await ShellTool().invoke({"command": f"touch {marker}; exit 3"}, ctx)
    assert marker.exists()
    assert not result.ok and result.metadata["exit_code"] == 3 and "exit code 3" in result.error
    [res] = audit.events("tool_result")
    assert res["exit_code"] == 3 and res["ok"] is False


async def test_approver_timeout_is_not_run(
    engine: FakePolicyEngine, audit: MemoryAuditLog, workspace: Path
) -> None:
    from openagent_lsp.tools.guard import InMemoryGrantStore, ToolGuard

    guard = ToolGuard(
        engine, ScriptedApprover(["hang"]), InMemoryGrantStore(), audit, workspace, approval_timeout_s=0.05
    )
    marker = workspace / "marker"
    result = await ShellTool().invoke({"command": f"touch {marker}"}, ToolContext(workspace, guard))
    assert not result.ok and not marker.exists()


async def test_confirm_field_in_args_is_rejected_not_honoured(ctx: ToolContext, workspace: Path) -> None:
    marker = workspace / "marker"
    result = await ShellTool().invoke({"command": f"touch {marker}", "confirm": True}, ctx)
    assert not result.ok and "confirm" in result.error
    assert not marker.exists()


async def test_command_text_is_passed_verbatim_as_one_argument(ctx: ToolContext) -> None:
    # Quotes that would break out of a naive sh -c '...' wrapper stay literal.
    result = await ShellTool().invoke({"command": "echo 'a'\"'\"'b' \"$((1+2))\""}, ctx)
    assert result.ok and result.output.strip() == "a'b 3"


async def test_cwd_must_stay_in_workspace(ctx: ToolContext, workspace: Path, tmp_path: Path) -> None:
    (workspace / "sub").mkdir()
    ok = await ShellTool().invoke({"command": "pwd", "cwd": "sub"}, ctx)
    assert ok.ok and ok.output.strip() == str(workspace / "sub")
    outside = await ShellTool().invoke({"command": "pwd", "cwd": ".."}, ctx)
    assert not outside.ok and "outside the workspace" in outside.error
    (workspace / "escape").symlink_to(tmp_path)
    via_link = await ShellTool().invoke({"command": "pwd", "cwd": "escape"}, ctx)
    assert not via_link.ok and "outside the workspace" in via_link.error


async def test_timeout_kills_the_process_group_without_orphans(kill_ctx: ToolContext, workspace: Path) -> None:
    token, started = _token(), workspace / "started"
    tool = ShellTool(kill_grace_s=0.5)
    began = time.monotonic()
    result = await tool.invoke(
        {"command": f"(exec -a {token} sleep 100) & touch {started}; sleep 100", "timeout_s": 2}, kill_ctx
    )
    assert time.monotonic() - began < 20
    assert not result.ok and result.metadata["timed_out"] and "timed out" in result.error
    assert started.exists()
    assert _wait_gone(token), f"background child {_processes_named(token)} survived the timeout"


async def test_term_ignoring_child_gets_sigkill(kill_ctx: ToolContext, workspace: Path) -> None:
    token, started = _token(), workspace / "started"
    # An ignored signal stays ignored across exec: this sleep ignores SIGTERM.
    script = f"bash -c 'trap \"\" TERM; touch {started}; exec -a {token} sleep 1000' & wait"
    result = await ShellTool(kill_grace_s=0.3).invoke({"command": script, "timeout_s": 2}, kill_ctx)
    assert result.metadata["timed_out"] and started.exists()
    assert _wait_gone(token)


async def test_background_leftovers_are_killed_after_normal_exit(kill_ctx: ToolContext) -> None:
    token = _token()
    # Waiting for the sleeping child would take 1000 s: the guard fails long before that.
    result = await asyncio.wait_for(
        ShellTool().invoke({"command": f"(exec -a {token} sleep 1000) & echo done"}, kill_ctx), 300)
    assert result.ok and "done" in result.output
    assert _wait_gone(token)


async def test_a_child_that_leaves_the_group_is_killed_too(kill_ctx: ToolContext) -> None:
    if kill_ctx.guard.confinement.level is SandboxLevel.NONE and not sys.platform.startswith("linux"):
        pytest.skip("only the launcher's PID namespace or subreaper (Linux) catches a child that called setsid")
    token = _token()
    result = await asyncio.wait_for(
        ShellTool().invoke({"command": f"setsid bash -c 'exec -a {token} sleep 1000' & echo done"}, kill_ctx), 300)
    assert result.ok and "done" in result.output
    assert _wait_gone(token)


async def test_cancel_token_kills_the_group(kill_ctx: ToolContext, workspace: Path) -> None:
    token, started = _token(), workspace / "started"
    cancel = CancelToken()
    kill_ctx.cancel = cancel
    task = asyncio.create_task(
        ShellTool(kill_grace_s=0.3).invoke(
            {"command": f"(exec -a {token} sleep 100) & touch {started}; sleep 100", "timeout_s": 60}, kill_ctx
        )
    )
    await _wait_file(started)
    cancel.cancel()
    result = await asyncio.wait_for(task, 30)
    assert result.metadata["cancelled"] and not result.ok
    assert _wait_gone(token)


async def test_task_cancellation_kills_the_group(kill_ctx: ToolContext, workspace: Path) -> None:
    token, started = _token(), workspace / "started"
    task = asyncio.create_task(
        ShellTool(kill_grace_s=0.3).invoke(
            {"command": f"touch {started}; exec -a {token} sleep 100", "timeout_s": 60}, kill_ctx
        )
    )
    await _wait_file(started)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert _wait_gone(token)


async def test_secrets_are_stripped_from_the_environment(
    ctx: ToolContext, approve_all: ScriptedApprover, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = {
        "OPENAI_API_KEY": "sk-1",
        "GITHUB_TOKEN": "ghp",
        "AWS_ACCESS_KEY_ID": "AKIA",
        "AWS_REGION": "eu",
        "MY_PASSWORD": "hunter2",
        "DB_SECRET": "s",
        "SOME_CREDENTIALS": "c",
        "HF_TOKEN": "hf",
        "ANTHROPIC_API_KEY": "a",
        "NPM_TOKEN": "n",
    }
    for k, v in secrets.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("HARMLESS_SETTING", "visible")
    result = await ShellTool().invoke({"command": "env"}, ctx)
    assert result.ok
    names = {line.split("=", 1)[0] for line in result.output.splitlines() if "=" in line}
    assert names.isdisjoint(secrets), names & set(secrets)
    assert "HARMLESS_SETTING" in names and "PATH" in names


def test_secret_name_patterns() -> None:
    for name in ("GITHUB_PAT", "aws_secret_access_key", "OPENAI_BASE_URL", "X_API_KEY", "GH_TOKEN"):
        assert is_secret_name(name), name
    for name in ("PATH", "HOME", "LANG", "PYTHONPATH", "VIRTUAL_ENV"):
        assert not is_secret_name(name), name
    env = sanitized_env({"PATH": "/bin", "STRIPE_KEY": "x"})
    assert env["PATH"] == "/bin" and "STRIPE_KEY" not in env and env["GIT_TERMINAL_PROMPT"] == "0"


async def test_stdin_is_dev_null(ctx: ToolContext, approve_all: ScriptedApprover) -> None:
    result = await ShellTool().invoke({"command": "cat; echo rc=$?", "timeout_s": 5}, ctx)
    assert result.ok and result.output.strip() == "rc=0"


async def test_output_is_capped_and_says_so(ctx: ToolContext, approve_all: ScriptedApprover) -> None:
    tool = ShellTool(output_cap=1000)
    result = await tool.invoke({"command": "head -c 200000 /dev/zero | tr '\\0' a"}, ctx)
    assert result.metadata["truncated"] is True
    assert result.output.split("\n[")[0] == "a" * 1000
    assert "truncated" in result.output


def test_run_process_reports_stderr_and_exit(workspace: Path) -> None:
    res = run_process("echo out; echo err >&2; exit 7", workspace, env=sanitized_env(), timeout_s=5)
    assert res.exit_code == 7 and "out" in res.output and "err" in res.output
    assert not res.timed_out and not res.truncated


async def test_invalid_timeout_is_reported_not_run(ctx: ToolContext, workspace: Path) -> None:
    result = await ShellTool().invoke({"command": "echo hi", "timeout_s": 10_000}, ctx)
    assert not result.ok and "timeout_s" in result.error
