"""``files.read`` / ``files.write`` / ``files.delete`` / ``files.list``, confined to the workspace.

Two independent locks keep a path inside the workspace:

1. the PolicyEngine's ``check_path`` (through the guard) decides on the path as the model wrote it;
2. right before acting, the tool resolves the path itself (``~``, ``..``, absolute paths, symlinks) and
   checks ``is_relative_to(workspace)``, then walks from the workspace root one component at a time
   with ``O_NOFOLLOW`` directory file descriptors. A symlink swapped in between the check and the
   use therefore makes the call fail (ELOOP/ENOTDIR) instead of following it out of the workspace.

Writes to documents open in the editor go through the ``EditorBridge`` (workspace/applyEdit) so the
user's buffer, not the disk behind it, changes. Other writes are atomic: a temporary file in the same
directory, fsync, then ``os.replace`` — a crash never leaves a half-written file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import uuid
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from openagent_lsp.errors import PolicyViolationError, ToolError
from openagent_lsp.policy.types import FileOp, ToolKind
from openagent_lsp.tools.base import Tool, ToolContext, ToolResult
from openagent_lsp.tools.workspace import ConfinedPath, confine

DEFAULT_READ_CAP = 256 * 1024
MAX_WRITE_BYTES = 4 * 1024 * 1024
DEFAULT_LIST_LIMIT = 500
_SKIP_DIRS = frozenset({".git", "node_modules", "__pycache__", ".venv", "venv", ".mypy_cache", ".ruff_cache"})
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)


def _open_dir(root: Path, parts: Sequence[str], *, create: bool = False) -> int:
    """Open the directory ``root/parts`` walking each component with O_NOFOLLOW (no symlink is crossed)."""
    fd = os.open(root, os.O_RDONLY | _O_DIRECTORY | _O_CLOEXEC)
    try:
        for part in parts:
            if part in ("", ".", ".."):
                raise PolicyViolationError(f"unexpected path component {part!r}")
            if create:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(part, 0o755, dir_fd=fd)
            try:
                next_fd = os.open(part, os.O_RDONLY | _O_DIRECTORY | _O_NOFOLLOW | _O_CLOEXEC, dir_fd=fd)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise PolicyViolationError(
                        f"path changed while in use (symlink or non-directory at {part!r})"
                    ) from exc
                if exc.errno == errno.ENOENT:
                    raise ToolError(f"directory does not exist: {part}") from exc
                raise
            os.close(fd)
            fd = next_fd
    except BaseException:
        os.close(fd)
        raise
    return fd


def _os_error(exc: OSError, rel: str) -> Exception:
    if exc.errno == errno.ELOOP:
        return PolicyViolationError(f"refusing to follow a symlink: {rel}")
    if exc.errno == errno.ENOENT:
        return ToolError(f"file not found: {rel}")
    if exc.errno == errno.EISDIR:
        return ToolError(f"is a directory: {rel}")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return ToolError(f"permission denied: {rel}")
    return ToolError(f"{rel}: {exc.strerror or exc}")


def read_confined(target: ConfinedPath, cap: int) -> tuple[bytes, int]:
    """Read at most ``cap`` bytes; returns (data, file size)."""
    if not target.parts:
        raise ToolError("the workspace root is a directory; use files.list")
    parent = _open_dir(target.root, target.parts[:-1])
    try:
        try:
            fd = os.open(target.name, os.O_RDONLY | _O_NOFOLLOW | _O_CLOEXEC, dir_fd=parent)
        except OSError as exc:
            raise _os_error(exc, target.relative) from exc
    finally:
        os.close(parent)
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise ToolError(f"is a directory: {target.relative} (use files.list)")
        if not stat.S_ISREG(st.st_mode):
            raise ToolError(f"not a regular file: {target.relative}")
        chunks: list[bytes] = []
        remaining = cap
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 65536))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks), st.st_size
    finally:
        os.close(fd)


def write_atomic(target: ConfinedPath, data: bytes, *, create_parents: bool = True) -> bool:
    """Write ``data`` via temp file + fsync + os.replace in the same directory. Returns True if created."""
    if not target.parts:
        raise ToolError("cannot write the workspace root")
    parent = _open_dir(target.root, target.parts[:-1], create=create_parents)
    tmp = f".{target.name}.openagent-{uuid.uuid4().hex[:12]}.tmp"
    try:
        created = True
        mode = 0o644
        try:
            st = os.stat(target.name, dir_fd=parent, follow_symlinks=False)
        except FileNotFoundError:
            pass
        else:
            if stat.S_ISDIR(st.st_mode):
                raise ToolError(f"is a directory: {target.relative}")
            if stat.S_ISLNK(st.st_mode):
                raise PolicyViolationError(f"refusing to replace a symlink: {target.relative}")
            created = False
            mode = stat.S_IMODE(st.st_mode)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_CLOEXEC
        fd = os.open(tmp, flags, 0o600, dir_fd=parent)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fchmod(fd, mode)
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.replace(tmp, target.name, src_dir_fd=parent, dst_dir_fd=parent)
        except OSError as exc:
            raise _os_error(exc, target.relative) from exc
        tmp = ""
        with contextlib.suppress(OSError):
            os.fsync(parent)
        return created
    finally:
        if tmp:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=parent)
        os.close(parent)


def delete_confined(target: ConfinedPath) -> None:
    if not target.parts:
        raise ToolError("cannot delete the workspace root")
    parent = _open_dir(target.root, target.parts[:-1])
    try:
        try:
            st = os.stat(target.name, dir_fd=parent, follow_symlinks=False)
        except OSError as exc:
            raise _os_error(exc, target.relative) from exc
        if stat.S_ISDIR(st.st_mode):
            raise ToolError(f"is a directory: {target.relative} (only files can be deleted)")
        try:
            os.unlink(target.name, dir_fd=parent)  # unlink never follows a symlink
        except OSError as exc:
            raise _os_error(exc, target.relative) from exc
    finally:
        os.close(parent)


def list_confined(target: ConfinedPath, *, recursive: bool, limit: int) -> tuple[list[str], bool]:
    """Entries below ``target`` (dirs end with '/', links with '@'); never follows symlinks."""
    fd = _open_dir(target.root, target.parts)
    entries: list[str] = []
    try:
        if not recursive:
            with os.scandir(fd) as it:
                for entry in sorted(it, key=lambda e: e.name):
                    entries.append(_entry_label(entry.name, entry.is_dir(follow_symlinks=False),
                                                entry.is_symlink()))
        else:
            for dirpath, dirnames, filenames, dir_fd in os.fwalk(".", dir_fd=fd, follow_symlinks=False):
                dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
                prefix = "" if dirpath == "." else dirpath[2:] + "/"
                for d in dirnames:
                    is_link = stat.S_ISLNK(os.stat(d, dir_fd=dir_fd, follow_symlinks=False).st_mode)
                    entries.append(_entry_label(prefix + d, not is_link, is_link))
                for f in sorted(filenames):
                    is_link = stat.S_ISLNK(os.stat(f, dir_fd=dir_fd, follow_symlinks=False).st_mode)
                    entries.append(_entry_label(prefix + f, False, is_link))
                if len(entries) > limit:
                    break
    finally:
        os.close(fd)
    truncated = len(entries) > limit
    return entries[:limit], truncated


def _entry_label(name: str, is_dir: bool, is_link: bool) -> str:
    if is_link:
        return name + "@"
    return name + "/" if is_dir else name


def preflight(ctx: ToolContext, op: FileOp, path: str, *, follow_final_symlink: bool = True) -> ConfinedPath:
    """Refuse paths outside the workspace before the user could be asked about them (a "yes" could not
    make the tool act there anyway); the refusal is audited. The check is repeated right before acting."""
    try:
        return confine(path, ctx.workspace, follow_final_symlink=follow_final_symlink)
    except PolicyViolationError as exc:
        ctx.guard.audit_refusal(ToolKind.FILE, f"{op.value} {path}", str(exc))
        raise


def _editor_text(ctx: ToolContext, path: Path) -> str | None:
    """The open buffer's text when the editor bridge offers it (unsaved edits are what the user sees)."""
    getter = getattr(ctx.editor, "get_text", None)
    if ctx.editor is None or getter is None or not ctx.editor.is_open(path):
        return None
    text = getter(path)
    return text if isinstance(text, str) else None


def _looks_binary(data: bytes) -> bool:
    return b"\x00" in data[:8192]


class _PathInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(min_length=1, max_length=4096, description="path relative to the workspace root")

    @field_validator("path")
    @classmethod
    def _no_nul(cls, value: str) -> str:
        if "\x00" in value:
            raise ValueError("path must not contain NUL bytes")
        return value


class FilesReadInput(_PathInput):
    max_bytes: int = Field(default=DEFAULT_READ_CAP, gt=0, le=DEFAULT_READ_CAP * 4,
                           description="read at most this many bytes")


class FilesWriteInput(_PathInput):
    content: str = Field(description="the complete new text of the file")


class FilesDeleteInput(_PathInput):
    pass


class FilesListInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(default=".", max_length=4096, description="directory relative to the workspace root")
    recursive: bool = Field(
        default=False, description="list subdirectories too (skips .git, node_modules, ...)"
    )
    limit: int = Field(default=DEFAULT_LIST_LIMIT, gt=0, le=5000, description="maximum number of entries")


class FilesReadTool(Tool):
    name = "files.read"
    description = "Read a text file from the workspace."
    input_model = FilesReadInput
    keywords = ("read", "open", "show", "look", "file", "contents", "explain", "what does", "view", "see")

    def __init__(self, *, read_cap: int = DEFAULT_READ_CAP) -> None:
        self.read_cap = read_cap

    async def run(self, args: FilesReadInput, ctx: ToolContext) -> ToolResult:
        preflight(ctx, FileOp.READ, args.path)
        auth = await ctx.guard.authorize_path(FileOp.READ, args.path)
        auth.raise_if_denied()
        cap = min(args.max_bytes, self.read_cap * 4)
        try:
            target = confine(args.path, ctx.workspace)
            buffer_text = _editor_text(ctx, target.path)
            if buffer_text is not None:
                encoded = buffer_text.encode("utf-8")
                data, size = encoded[:cap], len(encoded)
            else:
                data, size = read_confined(target, cap)
        except (ToolError, PolicyViolationError) as exc:
            ctx.guard.record_result(auth, ok=False, error=str(exc))
            raise
        ctx.guard.record_result(auth, ok=True, extra={"bytes": len(data)})
        if _looks_binary(data):
            return ToolResult(ok=False, error=f"binary file: {target.relative} ({size} bytes)",
                              metadata={"path": target.relative, "size": size, "binary": True})
        text = data.decode("utf-8", errors="replace")
        truncated = size > len(data)
        if truncated:
            text += f"\n[truncated: showing {len(data)} of {size} bytes]"
        return ToolResult(ok=True, output=text,
                          metadata={"path": target.relative, "size": size, "truncated": truncated})


class FilesWriteTool(Tool):
    name = "files.write"
    description = (
        "Create or overwrite a file in the workspace with the given complete content. "
        "Files open in the editor are changed in the editor buffer."
    )
    input_model = FilesWriteInput
    keywords = ("write", "create", "edit", "change", "modify", "fix", "add", "update", "refactor",
                "rename", "implement", "save", "replace", "new file")

    async def run(self, args: FilesWriteInput, ctx: ToolContext) -> ToolResult:
        data = args.content.encode("utf-8")
        if len(data) > MAX_WRITE_BYTES:
            raise ToolError(f"content too large ({len(data)} bytes; limit {MAX_WRITE_BYTES})")
        preflight(ctx, FileOp.WRITE, args.path)
        auth = await ctx.guard.authorize_path(FileOp.WRITE, args.path)
        auth.raise_if_denied()
        ctx.check_cancelled(auth)
        try:
            target = confine(args.path, ctx.workspace)  # re-check right before acting
            if ctx.editor is not None and ctx.editor.is_open(target.path):
                applied = await ctx.editor.apply_full_text(target.path, args.content)
                if not applied:
                    raise ToolError(f"the editor refused the edit to {target.relative}")
                via, created = "editor", False
            else:
                created = write_atomic(target, data)
                via = "disk"
        except (ToolError, PolicyViolationError) as exc:
            ctx.guard.record_result(auth, ok=False, error=str(exc))
            raise
        ctx.guard.note_file_write(target.path)
        ctx.guard.record_result(auth, ok=True, extra={"bytes": len(data), "via": via})
        verb = "created" if created else "updated"
        return ToolResult(ok=True, output=f"{verb} {target.relative} ({len(data)} bytes, via {via})",
                          metadata={"path": target.relative, "via": via, "created": created})


class FilesDeleteTool(Tool):
    name = "files.delete"
    description = "Delete one file in the workspace (not directories). The user may be asked to approve."
    input_model = FilesDeleteInput
    keywords = ("delete", "remove", "rm", "erase", "drop", "clean up")

    async def run(self, args: FilesDeleteInput, ctx: ToolContext) -> ToolResult:
        preflight(ctx, FileOp.DELETE, args.path, follow_final_symlink=False)
        auth = await ctx.guard.authorize_path(FileOp.DELETE, args.path)
        auth.raise_if_denied()
        ctx.check_cancelled(auth)
        try:
            target = confine(args.path, ctx.workspace, follow_final_symlink=False)
            delete_confined(target)
        except (ToolError, PolicyViolationError) as exc:
            ctx.guard.record_result(auth, ok=False, error=str(exc))
            raise
        ctx.guard.record_result(auth, ok=True)
        return ToolResult(ok=True, output=f"deleted {target.relative}", metadata={"path": target.relative})


class FilesListTool(Tool):
    name = "files.list"
    description = "List files in a workspace directory (dirs end with '/', symlinks with '@')."
    input_model = FilesListInput
    keywords = ("list", "files", "directory", "folder", "tree", "structure", "project", "where", "find")

    async def run(self, args: FilesListInput, ctx: ToolContext) -> ToolResult:
        preflight(ctx, FileOp.LIST, args.path)
        auth = await ctx.guard.authorize_path(FileOp.LIST, args.path)
        auth.raise_if_denied()
        try:
            target = confine(args.path, ctx.workspace)
            entries, truncated = list_confined(target, recursive=args.recursive, limit=args.limit)
        except (ToolError, PolicyViolationError) as exc:
            ctx.guard.record_result(auth, ok=False, error=str(exc))
            raise
        except OSError as exc:
            ctx.guard.record_result(auth, ok=False, error=str(exc))
            raise _os_error(exc, args.path) from exc
        ctx.guard.record_result(auth, ok=True, extra={"entries": len(entries)})
        output = "\n".join(entries) if entries else "(empty directory)"
        if truncated:
            output += f"\n[truncated at {args.limit} entries]"
        return ToolResult(ok=True, output=output,
                          metadata={"path": target.relative, "count": len(entries), "truncated": truncated})
