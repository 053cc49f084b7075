"""Git tools (status, diff, log, blame, commit): git run as a subprocess inside the OS sandbox.

Why the extra care: a repository's own config can make git run programs (``core.fsmonitor``, hooks,
``core.pager``, external diff drivers, textconv, a GPG program, ``filter.<driver>.clean``). Every git
call the server makes runs

* with those switched off twice: ``-c key=value`` arguments (``core.fsmonitor=false``,
  ``core.hooksPath=/dev/null``...) and the same keys through ``GIT_CONFIG_COUNT`` environment config,
  plus ``--no-ext-diff --no-textconv``, ``--no-verify`` on commit, and no terminal prompts;
* inside the sandbox the agent's commands get (``tools/confinement.py``): whatever a filter driver
  from ``.git/config`` or ``.gitattributes`` still starts can write only the workspace, has no network
  and cannot read secrets. Reads keep ``.git`` read-only; only ``git commit`` gets it writable.

``git.commit`` is a write: it always goes through the guard as approval-requiring, with the exact
equivalent command line shown to the user. Model-written refs are validated so they can never be read
as options (``--output=...``), and paths are confined to the workspace and passed after ``--``.
"""

from __future__ import annotations

import asyncio
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from openagent_lsp.errors import PolicyViolationError, ToolError
from openagent_lsp.policy.types import FileOp
from openagent_lsp.sandbox import SandboxUnavailable, run_sandboxed
from openagent_lsp.tools.base import Tool, ToolContext, ToolResult
from openagent_lsp.tools.confinement import SANDBOX_ENV, Confinement
from openagent_lsp.tools.files import preflight
from openagent_lsp.tools.shell import sanitized_env
from openagent_lsp.tools.workspace import confine

OUTPUT_CAP = 64 * 1024
GIT_TIMEOUT_S = 60.0
GIT_OUTPUT_LIMIT = 8 * 1024 * 1024

SAFE_GIT_CONFIG: tuple[tuple[str, str], ...] = (
    ("core.fsmonitor", "false"),
    ("core.hooksPath", "/dev/null"),
    ("core.pager", "cat"),
    ("commit.gpgSign", "false"),
    ("tag.gpgSign", "false"),
    ("diff.external", ""),
    ("protocol.allow", "never"),
    ("core.sshCommand", "/bin/false"),
    ("credential.helper", ""),
)


def safe_git_env() -> dict[str, str]:
    """Environment for every git process the server starts (command-line-level config, no prompts)."""
    env: dict[str, str] = {
        "GIT_CONFIG_COUNT": str(len(SAFE_GIT_CONFIG)),
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_PAGER": "cat",
        "GIT_OPTIONAL_LOCKS": "0",  # don't take the index lock the user's own git may need
        "GIT_EXTERNAL_DIFF": "",
        "GIT_ASKPASS": "/bin/false",
        "GIT_LITERAL_PATHSPECS": "1",  # a file named ":(exclude)x" is a file, not pathspec magic
    }
    for i, (key, value) in enumerate(SAFE_GIT_CONFIG):
        env[f"GIT_CONFIG_KEY_{i}"] = key
        env[f"GIT_CONFIG_VALUE_{i}"] = value
    return env


def safe_config_args() -> list[str]:
    """The same settings as ``-c key=value`` arguments, for callers that build their own git argv."""
    args: list[str] = []
    for key, value in SAFE_GIT_CONFIG:
        args += ["-c", f"{key}={value}"]
    return args


def _default_confinement() -> Confinement:
    from openagent_lsp.sandbox import detect_sandbox

    return Confinement(detect_sandbox().level)


def _git_env() -> dict[str, str]:
    env = sanitized_env()
    # Repository location comes from the working directory only: never from an inherited GIT_DIR.
    for name in [k for k in env if k.startswith("GIT_")]:
        del env[name]
    env.update(safe_git_env())
    env.update(SANDBOX_ENV)
    return env


def run_git(
    workspace: Path,
    *args: str,
    confinement: Confinement | None = None,
    git_write: bool = False,
    timeout_s: float = GIT_TIMEOUT_S,
) -> str:
    """Run ``git <safe -c options> <args>`` in ``workspace`` inside the sandbox; stdout, or ToolError
    with git's own message. ``git_write``: the command writes the repository (``.git`` writable)."""
    box = confinement or _default_confinement()
    ws = Path(workspace).resolve()
    argv = ["git", *safe_config_args(), *args]
    env = _git_env()
    spec = box.spec(ws, git_write=git_write)
    try:
        if spec is None:
            done = subprocess.run(argv, cwd=ws, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                                  timeout=timeout_s, check=False, start_new_session=True)
            code, out, err = done.returncode, done.stdout.decode("utf-8", "replace"), \
                done.stderr.decode("utf-8", "replace")
        else:
            res = run_sandboxed(argv, spec, cwd=ws, env=env, timeout_s=timeout_s, output_cap=GIT_OUTPUT_LIMIT,
                                level=box.level)
            if res.setup_failed:
                raise ToolError(f"git {args[0]}: the OS sandbox could not be set up ({res.stderr.strip()})")
            if res.timed_out:
                raise ToolError(f"git {args[0]} timed out after {timeout_s:g} s")
            code, out, err = (res.exit_code if res.exit_code is not None else -1), res.stdout, res.stderr
    except subprocess.TimeoutExpired as exc:
        raise ToolError(f"git {args[0]} timed out after {timeout_s:g} s") from exc
    except (OSError, SandboxUnavailable) as exc:
        raise ToolError(f"cannot run git: {exc}") from exc
    if code != 0:
        raise ToolError(f"git {args[0]} failed: {(err.strip() or out.strip() or f'exit code {code}')[:2000]}")
    return out


def repository_top(workspace: Path, confinement: Confinement | None = None) -> Path:
    """The top of the repository holding ``workspace``; ToolError when there is none."""
    try:
        top = run_git(workspace, "rev-parse", "--show-toplevel", confinement=confinement).strip()
    except ToolError as exc:
        if "not a git repository" in str(exc).lower():
            raise ToolError(f"not a git repository: {workspace}") from exc
        raise
    if not top:
        raise ToolError(f"not a git repository: {workspace}")
    return Path(top).resolve()


def _cap(text: str, cap: int = OUTPUT_CAP) -> tuple[str, bool]:
    if len(text) <= cap:
        return text, False
    return text[:cap] + f"\n[output truncated at {cap} characters]", True


def _scope(top: Path, workspace: Path, paths: list[str] | None) -> list[str]:
    """Pathspec limiting read-only output to the workspace.

    When the editor opened a subfolder of a larger repository, status/diff/log would otherwise show
    (and feed to the model) files outside the workspace that the file policy guards.
    """
    if paths:
        return paths
    root = Path(workspace).resolve()
    if root == top or not root.is_relative_to(top):
        return []
    return ["."]  # git runs in the workspace: its own folder


def git_status(workspace: Path, confinement: Confinement | None = None) -> str:
    top = repository_top(workspace, confinement)
    return run_git(workspace, "status", "--short", "--branch", "--", *_scope(top, workspace, None),
                   confinement=confinement)


def git_diff(workspace: Path, *, staged: bool = False, ref: str | None = None,
             paths: list[str] | None = None, scoped: bool = True,
             confinement: Confinement | None = None) -> str:
    top = repository_top(workspace, confinement)
    args = ["diff", "--no-ext-diff", "--no-textconv", "--no-color"]
    if staged:
        args.append("--cached")
    if ref:
        args.append(ref)
    args.append("--")
    args += _scope(top, workspace, paths) if scoped else (paths or [])
    return run_git(workspace, *args, confinement=confinement)


def staged_diff(workspace: Path, confinement: Confinement | None = None) -> str:
    """The staged changes, for writing a commit message (blocking: call it from a worker thread).

    Not limited to the workspace: the message must describe everything the commit will contain.
    """
    return git_diff(Path(workspace), staged=True, scoped=False, confinement=confinement)


def git_log(workspace: Path, *, max_count: int = 20, ref: str | None = None,
            paths: list[str] | None = None, confinement: Confinement | None = None) -> str:
    top = repository_top(workspace, confinement)
    args = ["log", "--no-color", f"--max-count={max_count}", "--date=short",
            "--format=%h %ad %an%x09%s"]
    if ref:
        args.append(ref)
    args.append("--")
    args += _scope(top, workspace, paths)
    try:
        return run_git(workspace, *args, confinement=confinement)
    except ToolError as exc:
        if "does not have any commits" in str(exc):
            return "(no commits yet)"
        raise


def git_blame(workspace: Path, path: str, *, start_line: int | None = None,
              end_line: int | None = None, confinement: Confinement | None = None) -> str:
    repository_top(workspace, confinement)
    args = ["blame", "--no-textconv", "--date=short"]
    if start_line is not None:
        args.append(f"-L{start_line},{end_line if end_line is not None else ''}")
    args += ["--", path]
    return run_git(workspace, *args, confinement=confinement)


def git_commit(workspace: Path, message: str, paths: list[str] | None = None,
               confinement: Confinement | None = None) -> str:
    repository_top(workspace, confinement)
    args = ["commit", "--no-verify", "--no-gpg-sign", "--no-edit", "-m", message]
    if paths:
        args += ["--", *paths]
    run_git(workspace, *args, confinement=confinement, git_write=True)
    return run_git(workspace, "log", "-1", "--format=%H %s", confinement=confinement)


def commit_command_text(message: str, paths: list[str] | None = None) -> str:
    """The command line the user approves for a commit: exactly what it means, quoted for bash."""
    argv = ["git", "commit", "-m", message]
    if paths:
        argv += ["--", *paths]
    return shlex.join(argv)


_REF_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_./@{}~^:-]*$")


def _validate_ref(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if value.startswith("-") or not _REF_RE.match(value):
        raise ValueError("must be a revision such as HEAD, main, HEAD~3 or a commit hash (no options)")
    return value


def _repo_relative(workspace: Path, path: str, confinement: Confinement | None = None) -> str:
    """Confine ``path`` to the workspace and inside the repository; relative to the workspace (git
    runs there)."""
    target = confine(path, workspace)
    top = repository_top(workspace, confinement)
    if not target.path.is_relative_to(top):  # workspace contains the repo? then path is outside it
        raise PolicyViolationError(f"path outside the repository: {path}")
    return target.relative


class _GitInput(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GitStatusInput(_GitInput):
    pass


class _RefInput(_GitInput):
    """Inputs that name a revision: the model writes it, so it is checked before git sees it."""

    ref: str | None = Field(default=None, max_length=200, description="a revision")

    @field_validator("ref")
    @classmethod
    def _check_ref(cls, value: str | None) -> str | None:
        return _validate_ref(value)


class GitDiffInput(_RefInput):
    staged: bool = Field(default=False, description="show staged changes instead of unstaged ones")
    ref: str | None = Field(default=None, max_length=200, description="compare against this revision")
    path: str | None = Field(default=None, max_length=4096, description="limit to this path")


class GitLogInput(_RefInput):
    max_count: int = Field(default=20, gt=0, le=200, description="number of commits")
    ref: str | None = Field(default=None, max_length=200, description="start from this revision")
    path: str | None = Field(default=None, max_length=4096, description="only commits touching this path")


class GitBlameInput(_GitInput):
    path: str = Field(min_length=1, max_length=4096, description="file to blame")
    start_line: int | None = Field(default=None, gt=0)
    end_line: int | None = Field(default=None, gt=0)


class GitCommitInput(_GitInput):
    message: str = Field(min_length=1, max_length=10_000, description="the commit message")
    paths: list[str] = Field(
        default_factory=list, max_length=200,
        description="commit only these paths (default: what is staged)",
    )


async def _read_authorized(ctx: ToolContext, path: str | None) -> Any:
    if path:
        preflight(ctx, FileOp.READ, path)
    auth = await ctx.guard.authorize_path(FileOp.READ, path or ".")
    auth.raise_if_denied()
    return auth


async def _paths(ctx: ToolContext, path: str | None) -> list[str] | None:
    if not path:
        return None
    return [await asyncio.to_thread(_repo_relative, ctx.workspace, path, ctx.guard.confinement)]


async def _run_read(ctx: ToolContext, auth: Any, fn: Any, *args: Any, **kwargs: Any) -> ToolResult:
    try:
        text = await asyncio.to_thread(fn, *args, **kwargs)
    except (ToolError, PolicyViolationError) as exc:
        ctx.guard.record_result(auth, ok=False, error=str(exc))
        raise
    ctx.guard.record_result(auth, ok=True)
    out, truncated = _cap(text)
    return ToolResult(ok=True, output=out or "(no output)", metadata={"truncated": truncated})


class GitStatusTool(Tool):
    name = "git.status"
    description = "Show the branch and which files are modified, staged or untracked."
    input_model = GitStatusInput
    keywords = ("git", "status", "changed", "changes", "modified", "branch", "uncommitted", "staged", "dirty")

    async def run(self, args: GitStatusInput, ctx: ToolContext) -> ToolResult:
        auth = await _read_authorized(ctx, None)
        return await _run_read(ctx, auth, git_status, ctx.workspace, ctx.guard.confinement)


class GitDiffTool(Tool):
    name = "git.diff"
    description = "Show the changes in the working tree (or staged, or against a revision) as a diff."
    input_model = GitDiffInput
    keywords = ("git", "diff", "changed", "changes", "what changed", "review", "modified", "patch")

    async def run(self, args: GitDiffInput, ctx: ToolContext) -> ToolResult:
        auth = await _read_authorized(ctx, args.path)
        paths = await _paths(ctx, args.path)
        return await _run_read(ctx, auth, git_diff, ctx.workspace, staged=args.staged, ref=args.ref, paths=paths,
                               confinement=ctx.guard.confinement)


class GitLogTool(Tool):
    name = "git.log"
    description = "Show recent commits (hash, date, author, subject)."
    input_model = GitLogInput
    keywords = ("git", "log", "history", "commits", "recent", "who", "when", "last commit")

    async def run(self, args: GitLogInput, ctx: ToolContext) -> ToolResult:
        auth = await _read_authorized(ctx, args.path)
        paths = await _paths(ctx, args.path)
        return await _run_read(ctx, auth, git_log, ctx.workspace, max_count=args.max_count, ref=args.ref,
                               paths=paths, confinement=ctx.guard.confinement)


class GitBlameTool(Tool):
    name = "git.blame"
    description = "Show who last changed each line of a file (optionally a line range)."
    input_model = GitBlameInput
    keywords = ("git", "blame", "who wrote", "who changed", "author", "annotate")

    async def run(self, args: GitBlameInput, ctx: ToolContext) -> ToolResult:
        auth = await _read_authorized(ctx, args.path)
        rel = await asyncio.to_thread(_repo_relative, ctx.workspace, args.path, ctx.guard.confinement)
        return await _run_read(ctx, auth, git_blame, ctx.workspace, rel, start_line=args.start_line,
                               end_line=args.end_line, confinement=ctx.guard.confinement)


class GitCommitTool(Tool):
    name = "git.commit"
    description = (
        "Commit the staged changes (or only the given paths) with a message. Always asks the user first."
    )
    input_model = GitCommitInput
    keywords = ("git", "commit", "save changes", "check in", "message")

    async def run(self, args: GitCommitInput, ctx: ToolContext) -> ToolResult:
        for p in args.paths:
            preflight(ctx, FileOp.WRITE, p)
        box = ctx.guard.confinement
        rel_paths = [await asyncio.to_thread(_repo_relative, ctx.workspace, p, box) for p in args.paths]
        # "not a git repository" before asking the user
        await asyncio.to_thread(repository_top, ctx.workspace, box)
        command = commit_command_text(args.message, rel_paths)
        auth = await ctx.guard.authorize_command(command, ctx.workspace, force_approval=True)
        auth.raise_if_denied()
        ctx.check_cancelled(auth)
        try:
            summary = await asyncio.to_thread(git_commit, ctx.workspace, args.message, rel_paths, box)
        except (ToolError, PolicyViolationError) as exc:
            ctx.guard.record_result(auth, ok=False, exit_code=1, error=str(exc))
            raise
        ctx.guard.record_result(auth, ok=True, exit_code=0, extra={"commit": summary.split(" ", 1)[0]})
        return ToolResult(ok=True, output=f"committed {summary.strip()}",
                          metadata={"commit": summary.split(" ", 1)[0]})
