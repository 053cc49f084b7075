"""Snapshots of a workspace in a private git repository, and restoring files from them.

Why a private repository: the user's own repository must not change -- not its index, not HEAD, not
a ref, not the working tree -- and a workspace need not be a git repository at all. Each workspace
gets a bare repository in the server's state dir (out of the sandbox's reach); a snapshot is
``git add -A`` of the workspace's tracked and untracked files into that repository's own index
(``.gitignore`` and the user's ``.git/info/exclude`` are honoured), then ``write-tree``. The index is
kept between snapshots, so git hashes only files whose stat data changed: a warm snapshot costs a
directory walk.

The git processes run with no system or global config, hooks off, no fsmonitor, no filters: the
workspace may hold agent-written ``.gitattributes``, and nothing in it may make this code run a program.

Restoring writes through the same symlink-refusing walk as the file tools: a link planted where a
directory was is removed (it is itself a change of the turn), never followed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from openagent_lsp.errors import ToolError
from openagent_lsp.tools.files import _open_dir, write_atomic
from openagent_lsp.tools.workspace import ConfinedPath

MAX_FROZEN_IGNORES = 20_000
GIT_TIMEOUT_S = 300.0
_ISOLATED_CONFIG = (
    ("core.fsmonitor", "false"),
    ("core.hooksPath", "/dev/null"),
    ("core.autocrlf", "false"),
    ("core.safecrlf", "false"),
    ("core.symlinks", "true"),
    ("core.quotePath", "false"),
    ("gc.auto", "0"),
    ("advice.addEmbeddedRepo", "false"),
    ("user.name", "openagent-lsp"),
    ("user.email", "snapshots@openagent-lsp.invalid"),
)


@dataclass(frozen=True)
class Entry:
    """A file as a tree records it: git mode ("100644", "100755", "120000", "160000") and blob id."""

    mode: str
    blob: str


@dataclass(frozen=True)
class Change:
    """One path that differs between two snapshots; ``before``/``after`` None when it did not exist."""

    path: str
    before: Entry | None
    after: Entry | None


class WorkspaceSnapshots:
    """Snapshots of one workspace, kept in ``store_dir``."""

    def __init__(self, workspace: Path, store_dir: Path) -> None:
        self.workspace = Path(workspace).resolve()
        digest = hashlib.sha256(str(self.workspace).encode()).hexdigest()[:12]
        self.git_dir = Path(store_dir) / f"{self.workspace.name or 'root'}-{digest}.git"
        self._lock = threading.Lock()

    # -- git --------------------------------------------------------------------------------------

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        env.update(
            GIT_DIR=str(self.git_dir),
            GIT_WORK_TREE=str(self.workspace),
            GIT_INDEX_FILE=str(self.git_dir / "index"),
            GIT_CONFIG_NOSYSTEM="1",
            GIT_CONFIG_GLOBAL=os.devnull,
            GIT_TERMINAL_PROMPT="0",
            GIT_OPTIONAL_LOCKS="0",
            LC_ALL="C",
        )
        return env

    def _git(self, *args: str, input_bytes: bytes | None = None) -> bytes:
        argv = ["git"]
        for key, value in _ISOLATED_CONFIG:
            argv += ["-c", f"{key}={value}"]
        argv += list(args)
        try:
            done = subprocess.run(argv, cwd=self.workspace, env=self._env(), input=input_bytes,
                                  capture_output=True, timeout=GIT_TIMEOUT_S, check=False)
        except (OSError, subprocess.SubprocessError) as exc:
            raise ToolError(f"snapshot: cannot run git: {exc}") from exc
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip()[:500]
            raise ToolError(f"snapshot: git {args[0]} failed: {message}")
        return done.stdout

    def _ensure_repo(self) -> None:
        if (self.git_dir / "HEAD").exists():
            return
        self.git_dir.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        subprocess.run(["git", "init", "-q", "--bare", str(self.git_dir)], check=True, capture_output=True,
                       env={k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
                       | {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}, timeout=60)
        self._git("config", "core.bare", "false")

    def _sync_excludes(self, frozen: Sequence[str]) -> None:
        """The user's repository-local ignore rules apply to snapshots too, and so does every path that
        was ignored when the turn began (``frozen``): a turn that edits .gitignore must not make an
        ignored file (a .env, node_modules) look like one it created."""
        from openagent_lsp.tools.confinement import repository_dirs

        lines = ["# copied from the workspace's repository\n"]
        for gitdir in repository_dirs(self.workspace)[-1:]:
            with contextlib.suppress(OSError):
                lines.append((gitdir / "info" / "exclude").read_text(encoding="utf-8", errors="replace"))
        lines.append("\n# ignored when the turn began\n")
        lines.extend(_exclude_line(rel) + "\n" for rel in frozen)
        info = self.git_dir / "info"
        info.mkdir(exist_ok=True)
        (info / "exclude").write_text("".join(lines), encoding="utf-8")

    # -- API --------------------------------------------------------------------------------------

    def take(self, frozen_ignores: Sequence[str] = ()) -> str:
        """Snapshot the workspace now; returns the tree id (kept reachable under refs/openagent/)."""
        with self._lock:
            self._ensure_repo()
            self._sync_excludes(frozen_ignores)
            self._git("add", "--all", "--ignore-errors", "--", ".")
            tree = self._git("write-tree").decode().strip()
            self._git("update-ref", f"refs/openagent/trees/{tree}", self._keep(tree))
            return tree

    def ignored(self, limit: int = MAX_FROZEN_IGNORES) -> list[str]:
        """The paths ignored right now (an ignored directory as one entry ending in "/")."""
        with self._lock:
            self._ensure_repo()
            self._sync_excludes(())
            raw = self._git("ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory")
        paths = [p.decode("utf-8", "surrogateescape") for p in raw.split(b"\0") if p]
        return paths[:limit]

    def _keep(self, tree: str) -> str:
        # A ref must name a commit (or any object); a commit of the tree keeps it safe from pruning.
        return self._git("commit-tree", tree, "-m", "snapshot").decode().strip()

    def changes(self, before: str, after: str, paths: list[str] | None = None) -> list[Change]:
        """Every file that differs between two snapshot trees (optionally only below ``paths``)."""
        with self._lock:
            raw = self._git("diff-tree", "-r", "-z", "--no-renames", "--raw", before, after, "--",
                            *(paths or []))
        out: list[Change] = []
        fields = raw.split(b"\0")
        i = 0
        while i + 1 < len(fields):
            meta, path = fields[i].decode(), fields[i + 1].decode("utf-8", "surrogateescape")
            i += 2
            if not meta.startswith(":"):
                continue
            old_mode, new_mode, old_blob, new_blob, _status = meta[1:].split(" ")
            out.append(Change(
                path,
                None if old_mode == "000000" else Entry(old_mode, old_blob),
                None if new_mode == "000000" else Entry(new_mode, new_blob),
            ))
        return out

    def blob(self, blob_id: str) -> bytes:
        with self._lock:
            return self._git("cat-file", "blob", blob_id)

    def restore(self, changes: list[Change], trash: Path) -> list[str]:
        """Put every changed path back as it was *before*: what was created is moved into ``trash``
        (never deleted: undo must not lose anything either), what was modified or deleted is written
        back. Returns the paths restored, in the order they were handled."""
        done: list[str] = []
        # Removals first, deepest first: a link or file that took a directory's place must go before
        # the files below that directory can be written again.
        removals = sorted((c for c in changes if c.after is not None), key=lambda c: -c.path.count("/"))
        for change in removals:
            if change.before is None or change.before.mode != change.after.mode:  # type: ignore[union-attr]
                self._remove(change.path, trash)
        for change in sorted(changes, key=lambda c: c.path):
            if change.before is not None:
                self._write(change.path, change.before)
            done.append(change.path)
        return done

    # -- file system ------------------------------------------------------------------------------

    def _target(self, rel: str) -> ConfinedPath:
        parts = tuple(p for p in rel.split("/") if p)
        if not parts or any(p in (".", "..") for p in parts):
            raise ToolError(f"snapshot: refusing the path {rel!r}")
        return ConfinedPath(self.workspace, self.workspace.joinpath(*parts), parts)

    def _remove(self, rel: str, trash: Path) -> None:
        target = self._target(rel)
        try:
            parent = _open_dir(target.root, target.parts[:-1])
        except (ToolError, OSError):
            return  # its directory is gone (or was replaced): nothing left to remove here
        try:
            st = os.stat(target.name, dir_fd=parent, follow_symlinks=False)
            if stat.S_ISDIR(st.st_mode):
                return  # a directory is only removed when it ends up empty
            dest = trash / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            trash_fd = os.open(dest.parent, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.replace(target.name, dest.name, src_dir_fd=parent, dst_dir_fd=trash_fd)
            except OSError:  # another file system: copy the bytes, then remove
                with contextlib.suppress(OSError):
                    data = os.readlink(target.name, dir_fd=parent).encode() if stat.S_ISLNK(st.st_mode) else \
                        _read_at(parent, target.name)
                    dest.write_bytes(data)
                os.unlink(target.name, dir_fd=parent)
            finally:
                os.close(trash_fd)
        except FileNotFoundError:
            pass
        finally:
            os.close(parent)

    def _write(self, rel: str, entry: Entry) -> None:
        target = self._target(rel)
        # A non-directory sitting where a parent directory must be (the turn replaced a directory
        # by a file or a link) is itself a change of the turn: take it away first.
        for depth in range(1, len(target.parts)):
            here = self.workspace.joinpath(*target.parts[:depth])
            if here.is_symlink() or (here.exists() and not here.is_dir()):
                here.unlink()
        if entry.mode == "160000":
            return  # a nested repository: its content is not in the snapshot
        data = self.blob(entry.blob)
        if entry.mode == "120000":
            parent = _open_dir(target.root, target.parts[:-1], create=True)
            try:
                with contextlib.suppress(FileNotFoundError):
                    st = os.stat(target.name, dir_fd=parent, follow_symlinks=False)
                    if not stat.S_ISDIR(st.st_mode):
                        os.unlink(target.name, dir_fd=parent)
                os.symlink(os.fsdecode(data), target.name, dir_fd=parent)
            finally:
                os.close(parent)
            return
        existing = target.path
        if existing.is_symlink():
            existing.unlink()
        write_atomic(target, data)
        mode = 0o755 if entry.mode == "100755" else 0o644
        parent = _open_dir(target.root, target.parts[:-1])
        try:
            os.chmod(target.name, mode, dir_fd=parent)  # a regular file write_atomic just put there
        finally:
            os.close(parent)


def _exclude_line(rel: str) -> str:
    """An exclude pattern matching exactly ``rel`` (anchored, wildcards escaped)."""
    escaped = "".join("\\" + c if c in "\\*?[" else c for c in rel)
    if escaped.endswith(" "):
        escaped = escaped[:-1] + "\\ "
    return "/" + escaped


def _read_at(dir_fd: int, name: str) -> bytes:
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=dir_fd)
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)
