"""Bounded looks at the file system that a command's effect depends on.

``grep -r foo .`` reads every file under ``.``, including a ``.env`` nobody named; ``cat *`` expands
to a file called ``-n`` or ``--checkpoint-action=...``. These walks find such files before the
command runs. A walk that would take too long fails closed (the caller asks).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from openagent_lsp.policy.paths import glob_match

MAX_WALK_ENTRIES = 50_000
_NEVER_SECRET_DIRS = frozenset({".git"})


class WalkTooBig(Exception):
    """The tree has more entries than a decision may look at."""


def files_in_tree(
    root: Path,
    accept: Callable[[Path], bool],
    *,
    hidden: bool = True,
    follow: bool = False,
    names: tuple[str, ...] = (),
    limit: int = MAX_WALK_ENTRIES,
) -> list[Path]:
    """Files under ``root`` for which ``accept`` holds, as the reading program would see them:
    dot-files only with ``hidden``, symlinked directories only with ``follow``, and only names
    matching one of ``names`` when given. Raises :class:`WalkTooBig` past ``limit`` entries."""
    if root.is_file():
        return [root] if accept(root) else []
    out: list[Path] = []
    seen = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=follow):
        if not hidden:
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        dirnames[:] = [d for d in dirnames if d not in _NEVER_SECRET_DIRS]
        for name in filenames:
            seen += 1
            if seen > limit:
                raise WalkTooBig(str(root))
            if not hidden and name.startswith("."):
                continue
            if names and not any(glob_match(n, name) for n in names):
                continue
            path = Path(dirpath) / name
            if not follow and path.is_symlink():
                continue
            if accept(path):
                out.append(path)
        seen += len(dirnames)
        if seen > limit:
            raise WalkTooBig(str(root))
    return out


def has_dash_names(root: Path, limit: int = MAX_WALK_ENTRIES) -> bool:
    """Whether any file or directory under ``root`` has a name starting with ``-`` (it would turn
    into an option when a glob or ``xargs`` passes it to a program)."""
    seen = 0
    for _dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in (*dirnames, *filenames):
            seen += 1
            if seen > limit:
                raise WalkTooBig(str(root))
            if name.startswith("-"):
                return True
    return False
