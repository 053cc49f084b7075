"""Which files the agent wrote in this session.

A runner allowed to run in the sandbox still asks when it would load code or configuration the agent
wrote itself (``conftest.py`` for pytest, a ``GNUmakefile`` for make, a ``.pth`` for Python, the
scripts in ``package.json`` for npm): otherwise "write a file, then run an allowed runner" turns any
allowed runner into "run whatever the agent wrote".

Two sources feed it: the file tools call :meth:`AgentWrites.record` for every file they write, and
the shell tool calls :meth:`AgentWrites.record_changes` after each command with the time the command
started: every file whose status changed since then (ctime, which ``touch -d`` cannot set back)
counts as written by that command.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from pathlib import Path

from openagent_lsp.policy.paths import glob_match

# Directories a change scan does not descend into: big, and not where runners load config from,
# except site-packages (``.pth`` files) which is looked at explicitly.
_SKIP_DIRS = frozenset({".git", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", "target"})
MAX_SCAN_ENTRIES = 200_000
# File times come from the kernel's coarse clock, which can lag time.time() by a tick: a file written
# just after "since" may carry a slightly earlier time. Counting a second more only adds files changed
# right before the command (at worst one extra prompt), never misses one it changed.
CLOCK_SLACK_S = 1.0


class AgentWrites:
    """Files written by the agent in this session (thread-safe; resolved absolute paths)."""

    def __init__(self) -> None:
        self._paths: set[Path] = set()
        self._lock = threading.Lock()

    def record(self, path: Path | str) -> None:
        p = Path(path)
        try:
            p = p.resolve()
        except (OSError, RuntimeError):
            p = Path(os.path.abspath(p))
        with self._lock:
            self._paths.add(p)

    def forget(self) -> None:
        """A new session: nothing written yet."""
        with self._lock:
            self._paths.clear()

    def paths(self) -> frozenset[Path]:
        with self._lock:
            return frozenset(self._paths)

    def contains(self, path: Path) -> bool:
        try:
            p = path.resolve()
        except (OSError, RuntimeError):
            p = path
        with self._lock:
            return p in self._paths or path in self._paths

    def matching(self, workspace: Path, patterns: Iterable[str]) -> list[Path]:
        """Written files inside ``workspace`` whose name (``conftest.py``) or workspace-relative path
        (``node_modules/**``) matches one of ``patterns``."""
        out: list[Path] = []
        pats = list(patterns)
        for p in sorted(self.paths()):
            if not p.is_relative_to(workspace):
                continue
            rel = p.relative_to(workspace).as_posix()
            for pat in pats:
                if ("/" in pat and glob_match(pat, rel)) or ("/" not in pat and glob_match(pat, p.name)):
                    out.append(p)
                    break
        return out

    def record_changes(self, workspace: Path, since: float, limit: int = MAX_SCAN_ENTRIES) -> list[Path]:
        """Record every file under ``workspace`` whose status changed at or after ``since`` (epoch
        seconds). Returns them. Stops after ``limit`` entries (the rest is not recorded)."""
        found: list[Path] = []
        seen = 0
        for dirpath, dirnames, filenames in os.walk(workspace):
            dirnames[:] = [d for d in dirnames if d not in _SKIP_DIRS]
            for name in filenames:
                seen += 1
                if seen > limit:
                    return found
                path = Path(dirpath) / name
                try:
                    st = path.lstat()
                except OSError:
                    continue
                if st.st_ctime >= since - CLOCK_SLACK_S:
                    self.record(path)
                    found.append(path)
        return found
