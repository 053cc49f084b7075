"""Git tools (status, diff, log, blame, commit) through GitPython.

Why the extra care: a repository's own config can make git run programs (``core.fsmonitor``, hooks,
``core.pager``, external diff drivers, textconv, a GPG program). Every git call the server makes runs
with those switched off through ``GIT_CONFIG_COUNT``/``GIT_CONFIG_KEY_n`` environment config (which
wins over repository config) plus ``--no-ext-diff --no-textconv``, ``--no-verify`` on commit, and no
terminal prompts. Remaining gap: ``filter.<driver>.clean`` from the repository's own config and
``.gitattributes`` can still run on status/diff; the policy should keep ``.git/`` and
``.gitattributes`` behind approval.

``git.commit`` is a write: it always goes through the guard as approval-requiring, with the exact
equivalent command line shown to the user. Model-written refs are validated so they can never be read
as options (``--output=...``), and paths are confined to the workspace and passed after ``--``.

GitPython is imported lazily: the server must start without paying for it.
"""

from __future__ import annotations

import asyncio
import re
import shlex
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from openagent_lsp.errors import PolicyViolationError, ToolError
from openagent_lsp.policy.types import FileOp
from openagent_lsp.tools.base import Tool, ToolContext, ToolResult
from openagent_lsp.tools.files import preflight
from openagent_lsp.tools.workspace import confine

OUTPUT_CAP = 64 * 1024

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


def open_repo(workspace: Path) -> Any:
    """The repository containing ``workspace``, with the safe environment applied to all its git calls."""
    import git  # lazy: gitpython is heavy

    try:
        repo = git.Repo(str(workspace), search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
        raise ToolError(f"not a git repository: {workspace}") from exc
    repo.git.update_environment(**safe_git_env())
    return repo


def _git(repo: Any, *args: str) -> str:
    import git

    try:
        out: str = repo.git.execute(["git", *args], with_extended_output=False, strip_newline_in_stdout=False)
    except git.GitCommandError as exc:
        stderr = (exc.stderr or "").strip().removeprefix("stderr:").strip().strip("'").strip()
        stdout = (exc.stdout or "").strip().removeprefix("stdout:").strip().strip("'").strip()
        raise ToolError(f"git {args[0]} failed: {stderr or stdout or exc}") from exc
    return out


def _cap(text: str, cap: int = OUTPUT_CAP) -> tuple[str, bool]:
    if len(text) <= cap:
        return text, False
    return text[:cap] + f"\n[output truncated at {cap} characters]", True


def _scope(repo: Any, workspace: Path, paths: list[str] | None) -> list[str]:
    """Pathspec limiting read-only output to the workspace.

    When the editor opened a subfolder of a larger repository, status/diff/log would otherwise show
    (and feed to the model) files outside the workspace that the file policy guards.
    """
    if paths:
        return paths
    top = Path(repo.working_tree_dir).resolve()
    root = Path(workspace).resolve()
    if root == top or not root.is_relative_to(top):
        return []
    return [str(root.relative_to(top))]


def git_status(workspace: Path) -> str:
    repo = open_repo(workspace)
    return _git(repo, "status", "--short", "--branch", "--", *_scope(repo, workspace, None))


def git_diff(workspace: Path, *, staged: bool = False, ref: str | None = None,
             paths: list[str] | None = None, scoped: bool = True) -> str:
    repo = open_repo(workspace)
    args = ["diff", "--no-ext-diff", "--no-textconv", "--no-color"]
    if staged:
        args.append("--cached")
    if ref:
        args.append(ref)
    args.append("--")
    args += _scope(repo, workspace, paths) if scoped else (paths or [])
    return _git(repo, *args)


def staged_diff(workspace: Path) -> str:
    """The staged changes, for writing a commit message (blocking: call it from a worker thread).

    Not limited to the workspace: the message must describe everything the commit will contain.
    """
    return git_diff(Path(workspace), staged=True, scoped=False)


def git_log(workspace: Path, *, max_count: int = 20, ref: str | None = None,
            paths: list[str] | None = None) -> str:
    repo = open_repo(workspace)
    args = ["log", "--no-color", f"--max-count={max_count}", "--date=short",
            "--format=%h %ad %an%x09%s"]
    if ref:
        args.append(ref)
    args.append("--")
    args += _scope(repo, workspace, paths)
    try:
        return _git(repo, *args)
    except ToolError as exc:
        if "does not have any commits" in str(exc):
            return "(no commits yet)"
        raise


def git_blame(workspace: Path, path: str, *, start_line: int | None = None,
              end_line: int | None = None) -> str:
    repo = open_repo(workspace)
    args = ["blame", "--no-textconv", "--date=short"]
    if start_line is not None:
        args.append(f"-L{start_line},{end_line if end_line is not None else ''}")
    args += ["--", path]
    return _git(repo, *args)


def git_commit(workspace: Path, message: str, paths: list[str] | None = None) -> str:
    repo = open_repo(workspace)
    args = ["commit", "--no-verify", "--no-gpg-sign", "--no-edit", "-m", message]
    if paths:
        args += ["--", *paths]
    _git(repo, *args)
    return _git(repo, "log", "-1", "--format=%H %s")


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


def _repo_relative(workspace: Path, path: str) -> str:
    """Confine ``path`` to the workspace and express it relative to the repository root."""
    target = confine(path, workspace)
    repo = open_repo(workspace)
    top = Path(repo.working_tree_dir).resolve()
    try:
        return str(target.path.relative_to(top)) or "."
    except ValueError as exc:  # workspace contains the repo? then path is outside the repo
        raise PolicyViolationError(f"path outside the repository: {path}") from exc


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
        return await _run_read(ctx, auth, git_status, ctx.workspace)


class GitDiffTool(Tool):
    name = "git.diff"
    description = "Show the changes in the working tree (or staged, or against a revision) as a diff."
    input_model = GitDiffInput
    keywords = ("git", "diff", "changed", "changes", "what changed", "review", "modified", "patch")

    async def run(self, args: GitDiffInput, ctx: ToolContext) -> ToolResult:
        auth = await _read_authorized(ctx, args.path)
        paths = [await asyncio.to_thread(_repo_relative, ctx.workspace, args.path)] if args.path else None
        return await _run_read(
            ctx, auth, git_diff, ctx.workspace, staged=args.staged, ref=args.ref, paths=paths
        )


class GitLogTool(Tool):
    name = "git.log"
    description = "Show recent commits (hash, date, author, subject)."
    input_model = GitLogInput
    keywords = ("git", "log", "history", "commits", "recent", "who", "when", "last commit")

    async def run(self, args: GitLogInput, ctx: ToolContext) -> ToolResult:
        auth = await _read_authorized(ctx, args.path)
        paths = [await asyncio.to_thread(_repo_relative, ctx.workspace, args.path)] if args.path else None
        return await _run_read(ctx, auth, git_log, ctx.workspace, max_count=args.max_count, ref=args.ref,
                               paths=paths)


class GitBlameTool(Tool):
    name = "git.blame"
    description = "Show who last changed each line of a file (optionally a line range)."
    input_model = GitBlameInput
    keywords = ("git", "blame", "who wrote", "who changed", "author", "annotate")

    async def run(self, args: GitBlameInput, ctx: ToolContext) -> ToolResult:
        auth = await _read_authorized(ctx, args.path)
        rel = await asyncio.to_thread(_repo_relative, ctx.workspace, args.path)
        return await _run_read(ctx, auth, git_blame, ctx.workspace, rel, start_line=args.start_line,
                               end_line=args.end_line)


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
        rel_paths = [await asyncio.to_thread(_repo_relative, ctx.workspace, p) for p in args.paths]
        await asyncio.to_thread(open_repo, ctx.workspace)  # "not a git repository" before asking the user
        command = commit_command_text(args.message, rel_paths)
        auth = await ctx.guard.authorize_command(command, ctx.workspace, force_approval=True)
        auth.raise_if_denied()
        ctx.check_cancelled(auth)
        try:
            summary = await asyncio.to_thread(git_commit, ctx.workspace, args.message, rel_paths)
        except (ToolError, PolicyViolationError) as exc:
            ctx.guard.record_result(auth, ok=False, exit_code=1, error=str(exc))
            raise
        ctx.guard.record_result(auth, ok=True, exit_code=0, extra={"commit": summary.split(" ", 1)[0]})
        return ToolResult(ok=True, output=f"committed {summary.strip()}",
                          metadata={"commit": summary.split(" ", 1)[0]})
