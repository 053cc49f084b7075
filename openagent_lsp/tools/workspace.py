"""Workspace confinement: the one place that proves a path the model wrote stays inside the workspace.

``Path.resolve`` (``~``, ``..``, absolute paths, symlinks) then ``is_relative_to``, never string prefixes:
``/ws-evil`` starts with ``/ws`` but is not inside it. Every tool that takes a path or a working
directory calls ``confine``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from openagent_lsp.errors import PolicyViolationError


@dataclass(frozen=True)
class ConfinedPath:
    """A path proven to be inside ``root``; ``parts`` are the components below the root."""

    root: Path
    path: Path
    parts: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.parts[-1] if self.parts else ""

    @property
    def relative(self) -> str:
        return "/".join(self.parts) or "."


def confine(path: str, workspace: Path, *, follow_final_symlink: bool = True) -> ConfinedPath:
    """Resolve ``path`` (as the model wrote it) and prove it stays inside ``workspace``.

    ``follow_final_symlink=False`` is for delete: removing a link removes the link, like ``rm``.
    """
    if "\x00" in path:
        raise PolicyViolationError("path contains a NUL byte")
    root = Path(workspace).resolve()
    candidate = Path(os.path.expanduser(path))
    if not candidate.is_absolute():
        candidate = root / candidate
    try:
        if follow_final_symlink or candidate.name in ("", ".", ".."):
            resolved = candidate.resolve()
        else:
            resolved = candidate.parent.resolve() / candidate.name
    except (OSError, RuntimeError) as exc:  # symlink loops
        raise PolicyViolationError(f"cannot resolve path {path!r}: {exc}") from exc
    if not resolved.is_relative_to(root):
        raise PolicyViolationError(f"path outside the workspace: {path} (resolves to {resolved})")
    return ConfinedPath(root=root, path=resolved, parts=resolved.relative_to(root).parts)
