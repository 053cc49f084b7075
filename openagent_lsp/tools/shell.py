"""``shell.run``: run one command the PolicyEngine parsed and the guard authorized.

Why it is built this way:

* The policy approved an exact command text, so exactly that text runs, as one argv element of
  ``["/bin/bash", "-c", command]``. It is never pasted into another quoted string (``sh -c '...'``),
  where a quote in the command would change what runs.
* Every command runs inside the OS sandbox (``tools/confinement.py`` says what it may touch): the
  workspace writable except ``.git`` and editor/CI config, no secrets in HOME, no network unless
  the approval said so, the server's state out of reach. The policy decides; the sandbox enforces
  what the policy cannot see (a test runner's conftest.py, a Makefile). Only where the OS offers no
  sandbox does a command run plainly, and then the policy asked for everything not plainly read-only.
* ``start_new_session=True`` puts the command and everything it starts in a new process group, so a
  timeout or a cancellation can kill the whole group (SIGTERM, then SIGKILL) and leave no orphans.
  The sandbox launcher's PID namespace (or subreaper) also catches a child that called ``setsid``,
  and the launcher dies with the server (even a SIGKILLed one): on Linux a command without a sandbox
  runs under the same launcher, confining nothing but supervising alike.
* A script the decision hashed is hashed again right before the run: changed content is not what
  was approved. Files the command changed are recorded as written by the agent (runners that would
  load them ask next time), and editor/CI configuration it created is moved out of the workspace.
* The environment is stripped of secrets (tokens, keys, passwords, cloud credentials): the model can
  read a command's output, so anything in the environment could be exfiltrated.
* stdin is /dev/null (nothing can prompt and hang), pagers are ``cat``, output is capped.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from openagent_lsp.errors import PolicyViolationError, ToolError
from openagent_lsp.llm.base import CancelToken
from openagent_lsp.policy.types import ToolKind
from openagent_lsp.sandbox import SandboxLevel, SandboxSpec, SandboxUnavailable, sandbox_command, stop_sandboxed
from openagent_lsp.sandbox.runner import SETUP_FAILED, supervised_command
from openagent_lsp.tools.base import Tool, ToolContext, ToolResult
from openagent_lsp.tools.confinement import SANDBOX_ENV
from openagent_lsp.tools.workspace import confine

DEFAULT_OUTPUT_CAP = 64 * 1024
DEFAULT_TIMEOUT_S = 60.0
MAX_TIMEOUT_S = 600.0
KILL_GRACE_S = 2.0
BASH = "/bin/bash"

_SECRET_NAME = re.compile(
    r"(TOKEN|KEY|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|AUTH|COOKIE|PRIVATE|SIGNATURE|"
    r"DSN|CONNECTION_STRING|DATABASE_URL|WEBHOOK)",
    re.IGNORECASE,
)
_SECRET_PREFIXES = (
    "AWS_", "GITHUB_", "GH_", "GITLAB_", "OPENAI_", "ANTHROPIC_", "AZURE_", "GOOGLE_", "GCP_", "GCLOUD_",
    "HF_", "HUGGING", "COHERE_", "MISTRAL_", "GROQ_", "TOGETHER_", "REPLICATE_", "NPM_", "PYPI_", "TWINE_",
    "DOCKER_", "SLACK_", "STRIPE_", "SENTRY_", "DATADOG_", "DD_", "VAULT_", "OPENAGENT_", "SSH_",
    "KUBE", "ARM_", "DIGITALOCEAN_", "HEROKU_", "CLOUDFLARE_", "CF_", "TF_VAR_", "GPG_",
)
_SECRET_EXACT = frozenset({"NETRC", "PGPASSFILE", "KRB5CCNAME", "SSH_AUTH_SOCK", "GNUPGHOME"})
# Set for every command: nothing may wait for a terminal or start an interactive pager.
_FORCED_ENV = {
    "PAGER": "cat",
    "GIT_PAGER": "cat",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_ASKPASS": "/bin/false",
    "SSH_ASKPASS": "/bin/false",
    "DEBIAN_FRONTEND": "noninteractive",
    "TERM": "dumb",
}


def is_secret_name(name: str) -> bool:
    upper = name.upper()
    return (
        upper in _SECRET_EXACT
        or upper.startswith(_SECRET_PREFIXES)
        or _SECRET_NAME.search(upper) is not None
    )


def sanitized_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """A copy of ``base`` (default ``os.environ``) without secret-looking variables."""
    source = os.environ if base is None else base
    env = {k: v for k, v in source.items() if not is_secret_name(k)}
    env.update(_FORCED_ENV)
    return env


@dataclass
class ProcessResult:
    exit_code: int | None
    output: str
    truncated: bool
    timed_out: bool
    cancelled: bool
    duration_ms: float
    pid: int


class _CappedReader(threading.Thread):
    """Drains a pipe to the end (so the child never blocks on a full pipe) but keeps only ``cap`` bytes."""

    def __init__(self, stream: Any, cap: int) -> None:
        super().__init__(daemon=True)
        self.stream = stream
        self.cap = cap
        self.chunks: list[bytes] = []
        self.kept = 0
        self.truncated = False

    def run(self) -> None:
        try:
            while True:
                chunk = self.stream.read1(65536) if hasattr(self.stream, "read1") else self.stream.read(65536)
                if not chunk:
                    break
                room = self.cap - self.kept
                if room > 0:
                    self.chunks.append(chunk[:room])
                    self.kept += min(room, len(chunk))
                if len(chunk) > max(room, 0):
                    self.truncated = True
        except (OSError, ValueError):
            pass

    def text(self) -> str:
        return b"".join(self.chunks).decode("utf-8", errors="replace")


def _group_alive(pgid: int) -> bool:
    """Whether any process of the group still runs (zombies don't count: they run nothing)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return _live_member_in_proc(pgid)


def _live_member_in_proc(pgid: int) -> bool:
    # Zombies whose parent is gone are reaped by init; where init does not reap (some containers)
    # they would keep killpg(pgid, 0) succeeding. /proc tells them apart; without /proc assume alive.
    try:
        entries = os.listdir("/proc")
    except OSError:
        return True
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # fields: state, ppid, pgrp, ...
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] not in (b"Z", b"X"):
            return True
    return False


def kill_process_group(
    pgid: int, grace_s: float = KILL_GRACE_S, proc: subprocess.Popen[bytes] | None = None
) -> None:
    """SIGTERM the group, give it ``grace_s`` to exit, then SIGKILL whatever is left.

    ``proc`` (the group leader, our child) is reaped while waiting: an unreaped zombie still counts
    as a group member and would make every kill wait out the full grace period.
    """
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        if proc is not None:
            proc.poll()
        if not _group_alive(pgid):
            return
        time.sleep(0.02)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def run_process(
    command: str,
    cwd: Path,
    *,
    env: Mapping[str, str],
    timeout_s: float,
    output_cap: int = DEFAULT_OUTPUT_CAP,
    stop: threading.Event | None = None,
    cancel: CancelToken | None = None,
    kill_grace_s: float = KILL_GRACE_S,
    sandbox: SandboxSpec | None = None,
    level: SandboxLevel | None = None,
) -> ProcessResult:
    """Blocking: run ``command`` with bash in its own process group; always reap the whole group.

    With ``sandbox``, bash runs inside the OS sandbox that spec describes (the launcher stops every
    process the command starts, even one that left the group); without, it runs plainly.
    """
    # argv list: the approved command text is one argument of bash -c, never re-quoted.
    argv = [BASH, "-c", command]
    if sandbox is None:
        if not sys.platform.startswith("linux"):
            return _run(argv, cwd, dict(env), timeout_s, output_cap, stop, cancel, kill_grace_s, sandboxed=False)
        # Unconfined, but under the launcher: the command and all it started die with the server.
        sc = supervised_command(argv, env=env)
        return _run(sc.argv, cwd, sc.env, timeout_s, output_cap, stop, cancel, kill_grace_s, sandboxed=True)
    with sandbox_command(argv, sandbox, env=env, level=level) as sc:
        return _run(sc.argv, cwd, sc.env, timeout_s, output_cap, stop, cancel, kill_grace_s, sandboxed=True)


def _run(
    argv: list[str],
    cwd: Path,
    env: dict[str, str],
    timeout_s: float,
    output_cap: int,
    stop: threading.Event | None,
    cancel: CancelToken | None,
    kill_grace_s: float,
    *,
    sandboxed: bool,
) -> ProcessResult:
    started = time.monotonic()
    proc = subprocess.Popen(
        argv,
        cwd=str(cwd),
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        close_fds=True,
    )
    pgid = proc.pid  # start_new_session: the child is the leader of a new group

    def kill(grace: float) -> None:
        if sandboxed:
            stop_sandboxed(proc, grace)
        else:
            kill_process_group(pgid, grace, proc)

    reader = _CappedReader(proc.stdout, output_cap)
    reader.start()
    timed_out = cancelled = False
    deadline = started + timeout_s
    try:
        while True:
            try:
                proc.wait(timeout=0.05)
                break
            except subprocess.TimeoutExpired:
                pass
            if (stop is not None and stop.is_set()) or (cancel is not None and cancel.cancelled):
                cancelled = True
                kill(kill_grace_s)
                proc.wait()
                break
            if time.monotonic() >= deadline:
                timed_out = True
                kill(kill_grace_s)
                proc.wait()
                break
    finally:
        if sandboxed and proc.poll() is None:  # only on an exception above
            stop_sandboxed(proc, min(kill_grace_s, 0.5))
        # Leftovers (background children) hold the pipe open and would outlive the call: kill them.
        if _group_alive(pgid):
            kill_process_group(pgid, min(kill_grace_s, 0.5), proc)
        if proc.poll() is None:  # only on an exception above
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            proc.wait()
        reader.join(timeout=5)
        if proc.stdout is not None:
            proc.stdout.close()
    return ProcessResult(
        exit_code=proc.returncode,
        output=reader.text(),
        truncated=reader.truncated,
        timed_out=timed_out,
        cancelled=cancelled,
        duration_ms=(time.monotonic() - started) * 1000,
        pid=pgid,
    )


async def run_process_async(
    command: str,
    cwd: Path,
    *,
    env: Mapping[str, str],
    timeout_s: float,
    output_cap: int = DEFAULT_OUTPUT_CAP,
    cancel: CancelToken | None = None,
    kill_grace_s: float = KILL_GRACE_S,
    sandbox: SandboxSpec | None = None,
    level: SandboxLevel | None = None,
) -> ProcessResult:
    """Run in a worker thread; cancelling the awaiting task kills the process group before re-raising."""
    stop = threading.Event()
    task = asyncio.ensure_future(
        asyncio.to_thread(
            run_process,
            command,
            cwd,
            env=env,
            timeout_s=timeout_s,
            output_cap=output_cap,
            stop=stop,
            cancel=cancel,
            kill_grace_s=kill_grace_s,
            sandbox=sandbox,
            level=level,
        )
    )
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        stop.set()
        # Let the worker kill and reap the group; don't return before the processes are gone.
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(asyncio.shield(task), timeout=kill_grace_s + 5)
        raise


# With .git writable, repository hooks and fsmonitor must not run: a hook path pointing into the
# workspace would let files the agent wrote change .git/config for the user's next, unsandboxed git.
_GIT_WRITE_CONFIG = (("core.hooksPath", "/dev/null"), ("core.fsmonitor", "false"))


def _command_env(base: Mapping[str, str] | None, *, sandboxed: bool, git_write: bool) -> dict[str, str]:
    env = sanitized_env(base)
    if sandboxed:
        env.update(SANDBOX_ENV)
    if git_write:
        for name in [k for k in env if k.startswith("GIT_CONFIG_")]:
            del env[name]
        env["GIT_CONFIG_COUNT"] = str(len(_GIT_WRITE_CONFIG))
        for i, (key, value) in enumerate(_GIT_WRITE_CONFIG):
            env[f"GIT_CONFIG_KEY_{i}"] = key
            env[f"GIT_CONFIG_VALUE_{i}"] = value
    return env


class ShellRunInput(BaseModel):
    """Arguments of ``shell.run``; note there is deliberately no field that could approve anything."""

    model_config = ConfigDict(extra="forbid")

    command: str = Field(min_length=1, max_length=10_000, description="the exact bash command line to run")
    cwd: str | None = Field(
        default=None, description="working directory inside the workspace (default: root)"
    )
    timeout_s: float = Field(
        default=DEFAULT_TIMEOUT_S, gt=0, le=MAX_TIMEOUT_S, description="seconds before the command is killed"
    )


def resolve_cwd(cwd: str | None, workspace: Path) -> Path:
    """The directory the command runs in: inside the workspace after resolving symlinks, or refused."""
    if not cwd:
        return workspace.resolve()
    try:
        resolved = confine(cwd, workspace).path
    except PolicyViolationError as exc:
        raise PolicyViolationError(f"working directory outside the workspace: {cwd}") from exc
    if not resolved.is_dir():
        raise ToolError(f"working directory does not exist: {cwd}")
    return resolved


class ShellTool(Tool):
    name = "shell.run"
    description = (
        "Run a bash command in the workspace (tests, builds, linters, searches). The user may be asked "
        "to approve it. Output is capped; long-running commands are killed at the timeout."
    )
    input_model = ShellRunInput
    keywords = (
        "run", "test", "tests", "pytest", "build", "compile", "make", "npm", "install", "lint", "execute",
        "command", "shell", "terminal", "bash", "script", "ls", "grep", "find", "check", "cargo", "go",
    )

    def __init__(
        self,
        *,
        output_cap: int = DEFAULT_OUTPUT_CAP,
        max_timeout_s: float = MAX_TIMEOUT_S,
        kill_grace_s: float = KILL_GRACE_S,
        base_env: Mapping[str, str] | None = None,
    ) -> None:
        self.output_cap = output_cap
        self.max_timeout_s = max_timeout_s
        self.kill_grace_s = kill_grace_s
        self.base_env = base_env

    async def run(self, args: ShellRunInput, ctx: ToolContext) -> ToolResult:
        try:
            cwd = resolve_cwd(args.cwd, ctx.workspace)
        except PolicyViolationError as exc:
            ctx.guard.audit_refusal(ToolKind.COMMAND, args.command, str(exc))
            raise
        auth = await ctx.guard.authorize_command(args.command, cwd, origin=ctx.origin)
        auth.raise_if_denied()
        ctx.check_cancelled(auth)
        if not auth.decision.content_unchanged():
            # A script the decision hashed changed between the decision (or prompt) and now.
            reason = "a script this command runs changed after it was checked; not run"
            ctx.guard.record_result(auth, ok=False, error=reason)
            raise PolicyViolationError(reason)
        confinement = ctx.guard.confinement
        # Existing editor/CI config stays read-only unless the user approved a command that writes it.
        protect = not (auth.decision.writes_protected and auth.approved_by_user)
        spec = confinement.spec(ctx.workspace, network=auth.network, git_write=auth.decision.git_write,
                                protect_configs=protect)
        # What was there before the run (the spec binds it read-only): anything new is quarantined after.
        configs_before = [p for p in spec.read_only if p != ".git"] if spec is not None and protect else None
        started = time.time()
        try:
            result = await run_process_async(
                args.command,
                cwd,
                env=_command_env(self.base_env, sandboxed=spec is not None, git_write=auth.decision.git_write),
                timeout_s=min(args.timeout_s, self.max_timeout_s),
                output_cap=self.output_cap,
                cancel=ctx.cancel,
                kill_grace_s=self.kill_grace_s,
                sandbox=spec,
                level=confinement.level if spec is not None else None,
            )
        except asyncio.CancelledError:
            ctx.guard.record_result(auth, ok=False, error="cancelled")
            ctx.guard.note_command_writes(started)
            raise
        except (OSError, SandboxUnavailable) as exc:
            ctx.guard.record_result(auth, ok=False, error=f"could not start: {exc}")
            raise ToolError(f"could not start the command: {exc}") from exc
        ctx.guard.note_command_writes(started)
        quarantined = (
            await asyncio.to_thread(confinement.quarantine_new_configs, ctx.workspace, configs_before)
            if configs_before is not None
            else []
        )

        output = result.output
        if result.truncated:
            output += f"\n[output truncated: only the first {self.output_cap} bytes are shown]"
        if quarantined:
            output += ("\n[created editor/git/CI configuration was moved out of the workspace: "
                       f"{', '.join(quarantined)}; only an approved command may write it]")
        sandbox_failed = spec is not None and result.exit_code == SETUP_FAILED and "openagent-sandbox:" in output
        error = ""
        if sandbox_failed:
            error = "the OS sandbox could not be set up, so the command did not run"
        elif result.timed_out:
            error = f"timed out after {args.timeout_s:g} s; the command and its children were killed"
        elif result.cancelled:
            error = "cancelled; the command and its children were killed"
        elif result.exit_code != 0:
            error = f"exit code {result.exit_code}"
        ok = not error
        ctx.guard.record_result(
            auth,
            ok=ok,
            exit_code=result.exit_code,
            error=error,
            extra={
                "duration_ms": round(result.duration_ms, 1),
                "truncated": result.truncated,
                "sandbox": confinement.level.value if spec is not None else "none",
                "network": auth.network,
                "quarantined": quarantined,
            },
        )
        return ToolResult(
            ok=ok,
            output=output,
            error=error,
            metadata={
                "exit_code": result.exit_code,
                "timed_out": result.timed_out,
                "cancelled": result.cancelled,
                "truncated": result.truncated,
                "duration_ms": round(result.duration_ms, 1),
                "cwd": str(cwd),
                "authorization": auth.outcome.value,
                "sandbox": confinement.level.value if spec is not None else "none",
                "network": auth.network,
                "quarantined": quarantined,
            },
        )
