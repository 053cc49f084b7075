"""Which sandbox this machine can give a command, found out at run time.

The server reports it (``openagent/status``, ``doctor``), and the policy reads it: where the
sandbox cannot confine files, commands that run workspace code must ask instead of running.
"""

from __future__ import annotations

import enum
import functools
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from openagent_lsp.sandbox import landlock

LAUNCHER = Path(__file__).with_name("launch.py")
PROBE_TIMEOUT_S = 10.0


class SandboxLevel(enum.StrEnum):
    """What a sandboxed command is confined by, strongest first."""

    FULL = "full"  # Landlock + user, mount, network and PID namespaces
    LANDLOCK_ONLY = "landlock-only"  # Landlock files + TCP; a subreaper instead of a PID namespace
    NAMESPACES_ONLY = "namespaces-only"  # no network, PID namespace, read-only .git; files NOT confined
    NONE = "none"  # nothing: every non-trivial command must ask

    @property
    def confines_files(self) -> bool:
        """Writes limited to the workspace, secrets in HOME unreadable."""
        return self in (SandboxLevel.FULL, SandboxLevel.LANDLOCK_ONLY)

    @property
    def blocks_network(self) -> bool:
        """No network at all (a network namespace). Landlock alone blocks TCP only, not UDP."""
        return self in (SandboxLevel.FULL, SandboxLevel.NAMESPACES_ONLY)

    @property
    def contains_processes(self) -> bool:
        """No process can outlive the kill (a PID namespace). A subreaper is best effort only."""
        return self in (SandboxLevel.FULL, SandboxLevel.NAMESPACES_ONLY)

    @property
    def runs_workspace_code_safely(self) -> bool:
        """Whether the policy may let test runners and builds run without asking."""
        return self.confines_files


@dataclass(frozen=True)
class SandboxStatus:
    level: SandboxLevel
    landlock_abi: int
    user_namespaces: bool
    platform: str

    def to_json(self) -> dict[str, object]:
        return {
            "level": self.level.value,
            "landlockAbi": self.landlock_abi,
            "userNamespaces": self.user_namespaces,
            "platform": self.platform,
            "confinesFiles": self.level.confines_files,
            "blocksNetwork": self.level.blocks_network,
            "containsProcesses": self.level.contains_processes,
            "summary": describe(self.level),
            "detail": describe(self.level),
        }


def describe(level: SandboxLevel) -> str:
    """One sentence for a user: what a sandboxed command can and cannot do at this level."""
    return {
        SandboxLevel.FULL: "commands may write only the workspace (not .git), cannot read secrets in your "
        "home, have no network unless approved, and cannot outlive a stop",
        SandboxLevel.LANDLOCK_ONLY: "commands may write only the workspace (not .git, and no new entries at its "
        "top level) and cannot read secrets in your home; TCP is blocked but UDP and local sockets are not, "
        "and a process that detaches could survive a forced stop",
        SandboxLevel.NAMESPACES_ONLY: "commands have no network and cannot outlive a stop, and .git is "
        "read-only, but files elsewhere are NOT protected: commands that run code ask first",
        SandboxLevel.NONE: "no OS sandbox on this system: every command that is not plainly read-only asks first",
    }[level]


def _probe(level: SandboxLevel) -> bool:
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-S", str(LAUNCHER), "--probe", level.value],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=PROBE_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


@functools.cache
def detect_sandbox() -> SandboxStatus:
    """The strongest level available here (probed once per process: about 30 ms)."""
    if not sys.platform.startswith("linux"):
        return SandboxStatus(SandboxLevel.NONE, 0, False, sys.platform)
    abi = landlock.abi_version()
    userns = _probe(SandboxLevel.FULL)
    if abi >= 1 and userns:
        level = SandboxLevel.FULL
    elif abi >= 1:
        level = SandboxLevel.LANDLOCK_ONLY
    elif userns:
        level = SandboxLevel.NAMESPACES_ONLY
    else:
        level = SandboxLevel.NONE
    return SandboxStatus(level, abi, userns, sys.platform)


def available_levels() -> list[SandboxLevel]:
    """Every level this machine can run (a stronger machine can also run the weaker levels)."""
    status = detect_sandbox()
    out = []
    if status.landlock_abi >= 1 and status.user_namespaces:
        out.append(SandboxLevel.FULL)
    if status.landlock_abi >= 1:
        out.append(SandboxLevel.LANDLOCK_ONLY)
    if status.user_namespaces:
        out.append(SandboxLevel.NAMESPACES_ONLY)
    return out
