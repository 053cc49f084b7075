"""Path policy: where a file operation really lands, and whether that place may be touched.

Every decision is taken on the *resolved* path (``Path.resolve`` follows ``..`` and symlinks) and
compared with ``is_relative_to``: string prefixes are never trusted, because ``/ws-evil`` starts
with ``/ws`` and ``ws/link`` may point anywhere. The shell analysis uses the same functions for
redirect targets and for the arguments of programs that write or delete, so a file tool and a
shell command get the same answer for the same file.
"""

from __future__ import annotations

import functools
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from openagent_lsp.policy.types import Decision, FileOp, Risk, Verdict

# Linux PATH_MAX / NAME_MAX: anything longer cannot be opened anyway, and huge strings are a
# classic way to make a checker slow or crash, so they are refused before any work is done.
MAX_PATH_CHARS = 4096
MAX_COMPONENT_CHARS = 255

# Device files that are harmless to write to (shell redirections use them all the time).
SAFE_DEVICE_WRITES = frozenset(
    {"/dev/null", "/dev/zero", "/dev/stdout", "/dev/stderr", "/dev/tty", "/dev/fd/1", "/dev/fd/2"}
)

# Raw disks, partitions and memory: writing there destroys a system.
_BLOCK_DEVICE_RE = re.compile(
    r"^/dev/(sd|hd|vd|xvd|nvme|mmcblk|disk|rdisk|loop|md|dm-|sr|nbd|mapper/|mem$|kmem$|port$|fd\d)",
    re.IGNORECASE,
)
_NET_DEVICE_RE = re.compile(r"^/dev/(tcp|udp)/", re.IGNORECASE)

# Directories whose recursive deletion / chmod / chown is treated as destroying a system.
SYSTEM_DIRS = frozenset(
    {
        "/",
        "/bin",
        "/boot",
        "/dev",
        "/etc",
        "/home",
        "/lib",
        "/lib32",
        "/lib64",
        "/libx32",
        "/media",
        "/mnt",
        "/opt",
        "/proc",
        "/root",
        "/run",
        "/sbin",
        "/snap",
        "/srv",
        "/sys",
        "/tmp",
        "/usr",
        "/usr/bin",
        "/usr/lib",
        "/usr/local",
        "/usr/sbin",
        "/usr/share",
        "/var",
        "/var/lib",
        "/var/log",
        "/Users",
        "/System",
        "/Library",
        "/Applications",
        "/private",
        "/Volumes",
    }
)


# Editor, repository and CI configuration that runs code: writing them always asks, through any
# tool, whatever the policy file says, and an "always allow" can never cover them. Matched like
# the policy's path patterns ("name" anywhere, "dir/glob" from the workspace root).
PROTECTED_WRITE_PATTERNS = (
    ".git",
    ".git/**",
    "**/.git",
    "**/.git/**",
    ".vscode",
    ".vscode/**",
    "**/.vscode/**",
    ".idea",
    ".idea/**",
    ".devcontainer",
    ".devcontainer/**",
    ".nvim.lua",
    ".nvimrc",
    ".exrc",
    ".vimrc",
    ".lvimrc",
    ".envrc",
    ".env.local.sh",
    ".pre-commit-config.yaml",
    ".pre-commit-hooks.yaml",
    ".husky",
    ".husky/**",
    ".githooks",
    ".githooks/**",
    ".github/workflows",
    ".github/workflows/**",
    ".github/actions",
    ".github/actions/**",
    ".gitlab-ci.yml",
    ".gitlab-ci.yaml",
    ".gitlab",
    ".gitlab/**",
    ".circleci",
    ".circleci/**",
    ".travis.yml",
    "azure-pipelines.yml",
    ".azure-pipelines",
    ".azure-pipelines/**",
    "bitbucket-pipelines.yml",
    ".drone.yml",
    ".buildkite",
    ".buildkite/**",
    "Jenkinsfile",
    ".woodpecker.yml",
    ".woodpecker",
    ".woodpecker/**",
    "appveyor.yml",
    ".appveyor.yml",
    ".mise.toml",
    "mise.toml",
    ".tool-versions",
    ".gitattributes",
    ".gitmodules",
    ".openagent",
    ".openagent/**",
)


# Directories a scan for protected configuration does not enter: big, and never editor/CI config.
_SCAN_SKIP = frozenset({"node_modules", ".venv", "venv", "__pycache__", ".mypy_cache", ".ruff_cache",
                        ".pytest_cache", ".tox", ".nox", "target", "dist", "build"})
PROTECTED_SCAN_LIMIT = 20_000
PROTECTED_SCAN_DEPTH = 6
# How the path policy words a write to protected configuration (the prompt shows it).
PROTECTED_REASON = "changes configuration that runs code (editor, git or CI): always asks"


def existing_protected_paths(workspace: Path, *, limit: int = PROTECTED_SCAN_LIMIT) -> list[str]:
    """Editor, git and CI configuration present in ``workspace`` (workspace-relative, top-most only):
    what the OS sandbox keeps read-only for a command nobody approved to change it."""
    root = Path(workspace).resolve()
    found: list[str] = []
    seen = 0
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root)
        depth = len(rel_dir.parts)
        kept: list[str] = []
        for name in sorted(dirnames) + sorted(filenames):
            seen += 1
            if seen > limit:
                return found
            rel = rel_dir / name
            if match_path_patterns(PROTECTED_WRITE_PATTERNS, root / rel, root):
                found.append(rel.as_posix())
            elif name in dirnames and name not in _SCAN_SKIP and depth < PROTECTED_SCAN_DEPTH:
                kept.append(name)
        dirnames[:] = [d for d in kept if not os.path.islink(os.path.join(dirpath, d))]
    return found


def home_dir() -> Path:
    """The user's home, resolved; read each time so tests (and ``HOME=``) are honoured."""
    try:
        return Path(os.path.expanduser("~")).resolve()
    except (OSError, RuntimeError, ValueError):
        return Path("/nonexistent-home")


@functools.lru_cache(maxsize=512)
def _compile(pattern: str) -> re.Pattern[str]:
    """Translate a gitignore-like glob into a regex (``**`` crosses directories, ``*`` does not)."""
    out: list[str] = []
    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("/**", i) and i + 3 == n:
            out.append("(?:/.*)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            # "[]" and "[!]" are not sets: "]" right after "[" or "[!" is a member (as in fnmatch).
            start = i + 2 if pattern.startswith("[!", i) else i + 1
            j = pattern.find("]", start + 1) if start < n and pattern[start] == "]" else pattern.find("]", start)
            if j == -1:
                out.append(re.escape(c))
                i += 1
            else:
                body = pattern[i + 1 : j]
                if body.startswith("!"):
                    body = "^" + body[1:]
                body = body.replace("\\", "\\\\").replace("[", "\\[")
                if body.startswith("]") or body.startswith("^]"):
                    body = body.replace("]", "\\]", 1)
                out.append("[" + body + "]")
                i = j + 1
        else:
            out.append(re.escape(c))
            i += 1
    # Case-insensitive on purpose: on macOS/Windows file systems ``.GIT/config`` *is* ``.git/config``.
    return re.compile("^" + "".join(out) + "$", re.IGNORECASE | re.DOTALL)


def glob_match(pattern: str, text: str) -> bool:
    return _compile(pattern).match(text) is not None


def match_path_patterns(patterns: Iterable[str], resolved: Path, workspace: Path) -> str | None:
    """Return the first pattern that covers ``resolved``, or None.

    Pattern forms (documented in default_policy.yaml):
    - ``/abs/glob``   matched against the absolute path;
    - ``~/glob``      matched against the path relative to the home directory;
    - ``dir/glob``    (contains ``/``) matched against the path relative to the workspace;
    - ``name-glob``   (no ``/``) matched against the file name *and* every directory name on the way,
      anywhere, inside or outside the workspace (so ``id_rsa*`` also catches ``/tmp/x/id_rsa.bak``).
    """
    posix = resolved.as_posix()
    rel_ws: str | None = None
    if resolved.is_relative_to(workspace):
        rel_ws = resolved.relative_to(workspace).as_posix()
    home = home_dir()
    rel_home = resolved.relative_to(home).as_posix() if resolved.is_relative_to(home) else None
    names = resolved.parts[1:] if resolved.is_absolute() else resolved.parts
    for raw in patterns:
        pat = raw.strip()
        if not pat:
            continue
        if pat.startswith("~/"):
            if rel_home is not None and glob_match(pat[2:], rel_home):
                return raw
        elif pat.startswith("/"):
            if glob_match(pat, posix):
                return raw
        elif "/" in pat.rstrip("/"):
            if rel_ws is not None and glob_match(pat.rstrip("/"), rel_ws):
                return raw
        else:
            name_pat = pat.rstrip("/")
            if any(glob_match(name_pat, part) for part in names):
                return raw
    return None


@dataclass(frozen=True)
class ResolvedPath:
    """Outcome of resolving a user-supplied path; ``error`` is set when it must be refused."""

    path: Path | None
    error: str = ""
    lexical: str = ""


def resolve_user_path(raw: str, base: Path) -> ResolvedPath:
    """Resolve ``raw`` (relative to ``base``) the way the OS will, refusing what cannot be safe.

    NUL bytes truncate paths in C APIs (``ok.txt\\0/../../etc``), so they are refused outright;
    over-long paths are refused before touching the file system.
    """
    if "\x00" in raw:
        return ResolvedPath(None, "the path contains a NUL byte")
    if len(raw) > MAX_PATH_CHARS:
        return ResolvedPath(None, f"the path is longer than {MAX_PATH_CHARS} characters")
    if any(len(part) > MAX_COMPONENT_CHARS for part in raw.split("/")):
        return ResolvedPath(None, f"a path component is longer than {MAX_COMPONENT_CHARS} characters")
    if raw == "":
        return ResolvedPath(None, "the path is empty")
    expanded = raw
    if raw == "~" or raw.startswith("~/"):
        expanded = str(home_dir()) + raw[1:]
    elif raw.startswith("~"):
        expanded = os.path.expanduser(raw)
    p = Path(expanded)
    if not p.is_absolute():
        p = base / p
    lexical = os.path.normpath(str(p))
    try:
        resolved = p.resolve()
    except (OSError, RuntimeError, ValueError) as exc:
        return ResolvedPath(None, f"the path cannot be resolved ({exc.__class__.__name__})")
    if len(str(resolved)) > MAX_PATH_CHARS:
        return ResolvedPath(None, f"the resolved path is longer than {MAX_PATH_CHARS} characters")
    return ResolvedPath(resolved, "", lexical)


def _other_hard_links(path: Path) -> int:
    """How many other names the regular file at ``path`` has (0 when none, or when it is new)."""
    try:
        st = path.lstat()
    except OSError:
        return 0
    if not stat.S_ISREG(st.st_mode):
        return 0
    return max(0, st.st_nlink - 1)


def is_block_device(path: str) -> bool:
    return _BLOCK_DEVICE_RE.match(path) is not None


def is_net_device(path: str) -> bool:
    return _NET_DEVICE_RE.match(path) is not None


def is_protected_dir(resolved: Path, workspace: Path) -> str:
    """Why deleting/chmod-ing ``resolved`` recursively would destroy something big ("" if not)."""
    s = resolved.as_posix()
    if s in SYSTEM_DIRS:
        return f"system directory {s}"
    home = home_dir()
    if resolved == home:
        return "the home directory"
    if resolved == workspace:
        return "the workspace root"
    if workspace.is_relative_to(resolved):
        return "a parent of the workspace"
    if resolved.parent == home and resolved.name.startswith("."):
        return f"the configuration directory {s}"
    return ""


def _rel_display(resolved: Path, workspace: Path) -> str:
    if resolved.is_relative_to(workspace):
        rel = resolved.relative_to(workspace).as_posix()
        return "./" + rel if rel != "." else "."
    return resolved.as_posix()


@dataclass(frozen=True)
class PathRuleSet:
    """The path part of a policy, in the shape the checks need (see schema.PathRules)."""

    read_ask: tuple[str, ...]
    read_deny: tuple[str, ...]
    write_ask: tuple[str, ...]
    write_deny: tuple[str, ...]
    sensitive_outside: tuple[str, ...]


def check_path(op: FileOp, path: str, root: Path, rules: PathRuleSet, strict: bool = False) -> Decision:
    """Decide one file operation. Never raises: anything odd becomes a DENY with a clear reason."""
    try:
        return _check_path(op, path, root, rules, strict)
    except Exception as exc:  # defensive: a checker that crashes must not let the call through
        return Decision(Verdict.DENY, Risk.HIGH, f"path check failed: {exc.__class__.__name__}", "path:error")


def _check_path(op: FileOp, path: str, root: Path, rules: PathRuleSet, strict: bool) -> Decision:
    if not isinstance(path, str):
        return Decision(Verdict.DENY, Risk.HIGH, "the path is not a string", "path:invalid")
    try:
        workspace = root.resolve()
    except (OSError, RuntimeError, ValueError):
        return Decision(Verdict.DENY, Risk.HIGH, "the workspace root cannot be resolved", "path:invalid")
    res = resolve_user_path(path, workspace)
    if res.path is None:
        return Decision(Verdict.DENY, Risk.HIGH, f"refused: {res.error}", "path:invalid")
    resolved = res.path
    shown = _rel_display(resolved, workspace)
    details = (f"resolved={resolved.as_posix()}",)
    writing = op in (FileOp.WRITE, FileOp.DELETE)
    lexical = res.lexical

    if (
        writing
        and (lexical in SAFE_DEVICE_WRITES or resolved.as_posix() == "/dev/null")
        and op is FileOp.WRITE
    ):
        return Decision(
            Verdict.ALLOW, Risk.LOW, f"{lexical} is a harmless device", "path:safe-device", details=details
        )
    if writing and (is_block_device(lexical) or is_block_device(resolved.as_posix())):
        return Decision(
            Verdict.DENY,
            Risk.CRITICAL,
            f"{op.value} to the raw device {lexical} would destroy data",
            "path:block-device",
            details=details,
        )

    inside = resolved.is_relative_to(workspace)
    key = f"{op.value}:{shown}"
    if not inside:
        if writing:
            return Decision(
                Verdict.DENY,
                Risk.HIGH,
                f"{op.value} outside the workspace is not allowed ({resolved.as_posix()})",
                "path:outside-workspace",
                details=details,
            )
        hit = match_path_patterns(rules.read_deny, resolved, workspace)
        if hit:
            return Decision(
                Verdict.DENY,
                Risk.HIGH,
                f"reading {shown} is denied by path rule '{hit}'",
                f"path:read_deny:{hit}",
                details=details,
            )
        hit = match_path_patterns(rules.sensitive_outside + rules.read_ask, resolved, workspace)
        if hit:
            return Decision(
                Verdict.REQUIRE_APPROVAL,
                Risk.HIGH,
                f"{shown} may hold secrets (rule '{hit}') and is outside the workspace",
                f"path:read_ask:{hit}",
                grant_key=key,
                details=details,
            )
        return Decision(
            Verdict.REQUIRE_APPROVAL,
            Risk.MEDIUM,
            f"{shown} is outside the workspace",
            "path:outside-workspace",
            grant_key=key,
            details=details,
        )

    if writing:
        if resolved == workspace:
            return Decision(
                Verdict.DENY,
                Risk.CRITICAL,
                f"{op.value} of the workspace root itself",
                "path:workspace-root",
                details=details,
            )
        hit = match_path_patterns(rules.write_deny, resolved, workspace)
        if hit is None and lexical != str(resolved):
            # The link itself may sit in a protected place even if its target does not.
            lex = Path(lexical)
            if lex.is_relative_to(workspace):
                hit = match_path_patterns(rules.write_deny, lex, workspace)
        if hit:
            return Decision(
                Verdict.DENY,
                Risk.HIGH,
                f"{op.value} of {shown} is denied by path rule '{hit}'",
                f"path:write_deny:{hit}",
                details=details,
            )
        hit = match_path_patterns(PROTECTED_WRITE_PATTERNS, resolved, workspace)
        if hit is None and lexical != str(resolved) and Path(lexical).is_relative_to(workspace):
            hit = match_path_patterns(PROTECTED_WRITE_PATTERNS, Path(lexical), workspace)
        if hit:
            # No grant key: editor/repository/CI configuration asks every time.
            return Decision(
                Verdict.REQUIRE_APPROVAL,
                Risk.HIGH,
                f"{op.value} of {shown} {PROTECTED_REASON}",
                f"path:protected:{hit}",
                details=details,
            )
        links = _other_hard_links(resolved)
        if links:
            return Decision(
                Verdict.REQUIRE_APPROVAL,
                Risk.HIGH,
                f"{shown} has {links} other hard link(s): writing it changes a file elsewhere too",
                "path:hard-link",
                details=details,
            )
        hit = match_path_patterns(rules.write_ask + rules.read_ask, resolved, workspace)
        if hit:
            return Decision(
                Verdict.REQUIRE_APPROVAL,
                Risk.MEDIUM,
                f"{op.value} of {shown} needs approval (path rule '{hit}')",
                f"path:write_ask:{hit}",
                grant_key=key,
                details=details,
            )
        if op is FileOp.DELETE:
            return Decision(
                Verdict.REQUIRE_APPROVAL,
                Risk.MEDIUM,
                f"deleting {shown} needs approval",
                "path:delete",
                grant_key=key,
                details=details,
            )
        return Decision(
            Verdict.ALLOW,
            Risk.LOW,
            f"write inside the workspace ({shown})",
            "path:workspace",
            grant_key=key,
            details=details,
        )

    hit = match_path_patterns(rules.read_deny, resolved, workspace)
    if hit:
        return Decision(
            Verdict.DENY,
            Risk.HIGH,
            f"reading {shown} is denied by path rule '{hit}'",
            f"path:read_deny:{hit}",
            details=details,
        )
    hit = match_path_patterns(rules.read_ask, resolved, workspace)
    if hit:
        return Decision(
            Verdict.REQUIRE_APPROVAL,
            Risk.MEDIUM,
            f"{shown} may hold secrets (path rule '{hit}')",
            f"path:read_ask:{hit}",
            grant_key=key,
            details=details,
        )
    return Decision(
        Verdict.ALLOW,
        Risk.LOW,
        f"{op.value} inside the workspace ({shown})",
        "path:workspace",
        grant_key=key,
        details=details,
    )
