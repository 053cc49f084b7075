"""What the OS sandbox lets one agent command touch, decided per command from what was approved.

The policy decides; the sandbox (``openagent_lsp.sandbox``) enforces what the policy cannot see. This
module turns "the server's state dirs, this workspace, this approval" into a ``SandboxSpec``:

* writes: the workspace only; never ``.git`` (unless the command is git alone writing its own
  repository), never the editor/git/CI configuration present in the workspace (unless the user
  approved a command the prompt said writes it), never the server's state, config, audit or grants;
* reads: system dirs, the toolchains on PATH, the workspace and its git directories (a worktree's
  common dir lives elsewhere), HOME only through the sandbox's allowlist;
* network: only when the approval said "with network".

It also words the ``Sandbox:`` line of the approval prompt, so the user reads what the command will
and will not be able to do before saying yes. Where the OS offers no sandbox, ``spec`` returns None
and the caller runs the command plainly: the policy already asked for everything not plainly
read-only, and the prompt said it runs unsandboxed.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from openagent_lsp.policy.paths import existing_protected_paths
from openagent_lsp.sandbox import SandboxLevel, SandboxSpec, python_toolchain_paths

# Set for every sandboxed command: the workspace may be a bind mount inside the sandbox (under a
# private /tmp), and git stops looking for the repository at a mount point unless told otherwise.
SANDBOX_ENV = {"GIT_DISCOVERY_ACROSS_FILESYSTEM": "1"}
# A PATH entry this broad would hand the command HOME or the whole system: never added as readable.
_TOO_BROAD = frozenset({"/", "/home", "/root", "/Users", "/tmp", "/var"})


@dataclass(frozen=True)
class Confinement:
    """The sandbox every command of one server runs in (``level`` from ``detect_sandbox``).

    ``protected``: the server's own state (database, audit log, its key, snapshots), config dir and
    policy file; unreachable from inside, even where they lie below a granted path.
    """

    level: SandboxLevel
    protected: tuple[Path, ...] = ()
    home: Path | None = None
    readable: tuple[Path, ...] = ()
    quarantine: Path | None = None
    env: Mapping[str, str] | None = field(default=None, compare=False)

    @property
    def available(self) -> bool:
        return self.level is not SandboxLevel.NONE

    def spec(
        self,
        workspace: Path,
        *,
        network: bool = False,
        git_write: bool = False,
        protect_configs: bool = True,
    ) -> SandboxSpec | None:
        """The sandbox for one command; None where this system has none."""
        if not self.available:
            return None
        ws = Path(workspace).resolve()
        git_dirs = [d for d in repository_dirs(ws) if not d.is_relative_to(ws)]
        read_only: list[str] = []
        if protect_configs:
            read_only = [rel for rel in existing_protected_paths(ws) if not (git_write and _is_git(rel))]
        if not git_write and ".git" not in read_only:
            read_only.append(".git")
        return SandboxSpec(
            workspace=ws,
            writable=tuple(git_dirs) if git_write else (),
            readable=(*toolchain_paths(self.env), *self.readable, *git_dirs),
            home=self.home,
            network=network,
            protected=self.protected,
            read_only=tuple(read_only),
        )

    def describe(self, *, network: bool = False, git_write: bool = False) -> str:
        """The ``Sandbox:`` line of an approval prompt for a command."""
        if self.level is SandboxLevel.NONE:
            return ("NONE: this system offers no OS sandbox, so the command runs unsandboxed with all your "
                    "permissions (every file you can write, your home directory, the network)")
        net = "network ALLOWED for this command" if network else "no network"
        git = ".git writable for this git command" if git_write else "not .git"
        if self.level is SandboxLevel.NAMESPACES_ONLY:
            return (f"partial: {net}; {git}; stopped with everything it starts; but files outside the "
                    "workspace are NOT protected on this system (no Landlock)")
        where = f"writes only inside the workspace ({git}, not editor/CI config, not OpenAgent's own files)"
        home = "HOME unreadable except toolchains and package caches (no ~/.ssh, ~/.aws, keyrings)"
        if self.level is SandboxLevel.LANDLOCK_ONLY:
            tcp = "TCP allowed" if network else "no TCP (UDP and local sockets are not blocked here)"
            return f"{where}; {home}; {tcp}; nothing new at the workspace's top level"
        return f"{where}; {home}; {net}; stopped with everything it starts"

    def quarantine_new_configs(self, workspace: Path, before: Iterable[str]) -> list[str]:
        """Move editor/git/CI configuration that a command created (it did not exist before) out of the
        workspace into the quarantine folder, and say which. Existing configuration was read-only in the
        sandbox; a new file cannot be made read-only in advance, so it is taken away after."""
        ws = Path(workspace).resolve()
        known = set(before)
        created = [rel for rel in existing_protected_paths(ws) if rel not in known and not _is_git(rel)]
        if not created or self.quarantine is None:
            return created
        dest_root = self.quarantine / time.strftime("%Y%m%d-%H%M%S")
        moved: list[str] = []
        for rel in created:
            src = ws / rel
            dest = dest_root / rel
            try:
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(src), str(dest))
                moved.append(rel)
            except OSError:
                continue
        return moved


def _is_git(rel: str) -> bool:
    return rel == ".git" or rel.startswith(".git/") or rel.endswith("/.git") or "/.git/" in rel


def repository_dirs(workspace: Path) -> list[Path]:
    """The git directories of the repository holding ``workspace``: its git dir and, for a worktree,
    the common dir (found by reading ``.git`` files, without running git)."""
    start = Path(workspace).resolve()
    for directory in (start, *start.parents):
        dot_git = directory / ".git"
        if dot_git.is_dir():
            return [dot_git.resolve()]
        if dot_git.is_file():
            try:
                text = dot_git.read_text(encoding="utf-8", errors="replace").strip()
            except OSError:
                return []
            if not text.startswith("gitdir:"):
                return []
            gitdir = Path(text[len("gitdir:"):].strip())
            gitdir = (directory / gitdir).resolve() if not gitdir.is_absolute() else gitdir.resolve()
            out = [gitdir]
            try:
                common = (gitdir / "commondir").read_text(encoding="utf-8").strip()
                common_dir = (gitdir / common).resolve() if not Path(common).is_absolute() else Path(common).resolve()
                if common_dir not in out:
                    out.append(common_dir)
            except OSError:
                pass
            return out
    return []


def toolchain_paths(env: Mapping[str, str] | None = None) -> tuple[Path, ...]:
    """What the commands need to read to run at all: this Python, virtual environments and the
    directories on PATH (a venv's bin dir brings its whole venv)."""
    source = os.environ if env is None else env
    out: list[Path] = list(python_toolchain_paths())
    home = Path(os.path.expanduser("~")).resolve()
    candidates = [p for p in source.get("PATH", "").split(os.pathsep) if p]
    if source.get("VIRTUAL_ENV"):
        candidates.append(source["VIRTUAL_ENV"])
    for raw in candidates:
        if not os.path.isabs(raw):
            continue  # "." or "bin": would make the workspace's own files look like toolchains
        try:
            path = Path(raw).resolve()
        except (OSError, RuntimeError):
            continue
        if not path.is_dir():
            continue
        if (path.parent / "pyvenv.cfg").exists():
            path = path.parent  # a virtual environment's bin: the whole environment
        elif path.name == "shims":
            path = path.parent  # pyenv, rbenv, asdf: a shim runs the manager from its root
        if str(path) in _TOO_BROAD or path == home or home.is_relative_to(path):
            continue
        if path not in out:
            out.append(path)
    return tuple(out)
