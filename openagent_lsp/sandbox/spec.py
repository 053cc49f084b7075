"""What a sandboxed command may touch, and the launcher plan that enforces it.

``SandboxSpec`` is what a caller states (workspace, extra paths, network, protected dirs);
``build_plan`` turns it into resolved paths for the launcher, for one sandbox level.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from openagent_lsp.sandbox.levels import SandboxLevel

# Read-only system locations every toolchain needs. /proc is safe to read: Landlock refuses access
# to other processes' memory and environment (it counts as ptrace) outside the sandbox.
SYSTEM_READ_DIRS = (
    "/usr",
    "/bin",
    "/sbin",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/etc",
    "/opt",
    "/nix",
    "/snap",
    "/sys",
    "/proc",
)
# Secrets inside the system directories: left out of the read grants (the grant of /etc is split
# around them). Unreadable for ordinary users anyway, but a command run by root keeps uid 0 even
# without capabilities, and owns these files.
SYSTEM_SECRETS = (
    "/etc/shadow",
    "/etc/shadow-",
    "/etc/gshadow",
    "/etc/gshadow-",
    "/etc/sudoers",
    "/etc/sudoers.d",
    "/etc/ssh",
    "/etc/ssl/private",
    "/etc/security/opasswd",
)
# Character devices a command may read and write (never raw disks or memory).
DEVICES = (
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/random",
    "/dev/urandom",
    "/dev/tty",
    "/dev/ptmx",
    "/dev/pts",
)
# Masked by a private tmpfs where a mount namespace exists: other programs' files and sockets
# (ssh-agent, gpg-agent, docker) live there, and Landlock cannot mediate connecting to a socket.
MASKED_DIRS = ("/tmp", "/var/tmp", "/run", "/dev/shm")
# What a command may read in HOME: toolchains, caches of packages, git's own config. Nothing that
# holds credentials (~/.ssh, ~/.aws, ~/.config/gh, ~/.netrc, ~/.npmrc, ~/.pypirc, keyrings in
# ~/.local/share, browser profiles, ~/.cargo/credentials.toml, ~/.gem/credentials, ~/.m2/settings.xml).
DEFAULT_HOME_ALLOWLIST = (
    ".gitconfig",
    ".config/git/config",
    ".config/git/ignore",
    ".config/git/attributes",
    ".cargo/bin",
    ".cargo/registry",
    ".cargo/git",
    ".rustup",
    ".pyenv",
    ".local/bin",
    ".local/lib",
    ".nvm",
    ".volta",
    ".bun/bin",
    ".deno/bin",
    "go/bin",
    "go/pkg/mod",
    ".m2/repository",
    ".gradle/caches",
    ".gradle/wrapper",
    ".rbenv",
    ".gem/ruby",
    ".sdkman/candidates",
    ".elan",
    ".cache/pip",
    ".cache/uv",
    ".cache/pre-commit",
    "miniconda3",
    "miniforge3",
    "anaconda3",
)
# Inside the workspace, never writable by a sandboxed command.
DEFAULT_READ_ONLY = (".git",)


@dataclass(frozen=True)
class SandboxSpec:
    """What one command may touch.

    ``workspace`` is writable except ``read_only`` (names inside it, default ``.git``);
    ``writable`` / ``readable`` add paths outside it; ``readable_home`` names paths below ``home``
    that may be read; ``protected`` (the server's state and config dirs) are never reachable, even
    when they lie inside a granted path; ``network`` lets the command use the network.
    """

    workspace: Path
    writable: tuple[Path, ...] = ()
    readable: tuple[Path, ...] = ()
    readable_home: tuple[str, ...] = DEFAULT_HOME_ALLOWLIST
    home: Path | None = None
    network: bool = False
    protected: tuple[Path, ...] = ()
    read_only: tuple[str, ...] = field(default=DEFAULT_READ_ONLY)

    def home_dir(self) -> Path:
        return Path(self.home) if self.home is not None else Path(os.path.expanduser("~"))


def _real(path: Path | str) -> str:
    return os.path.realpath(os.fspath(path))


def _under(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip("/") + "/")


def _existing(paths: list[str]) -> list[str]:
    seen: list[str] = []
    for p in paths:
        if os.path.lexists(p) and p not in seen:
            seen.append(p)
    return seen


def build_plan(spec: SandboxSpec, level: SandboxLevel, tmpdir: str | None) -> dict[str, object]:
    """The launcher's plan: resolved paths per kind of access, mounts, and switches."""
    workspace = _real(spec.workspace)
    home = _real(spec.home_dir())
    home_paths = _existing([_real(os.path.join(home, rel)) for rel in spec.readable_home])
    # An allowlisted name that resolves (by a symlink) outside HOME keeps its grant only if it stays
    # away from protected places: the holes below cover that.
    readable = _existing([_real(p) for p in spec.readable]) + home_paths
    writable = [workspace, *_existing([_real(p) for p in spec.writable])]
    protected = _existing([_real(p) for p in spec.protected])
    mounts = level in (SandboxLevel.FULL, SandboxLevel.NAMESPACES_ONLY)
    # With a mount namespace a protected directory is covered by an empty read-only tmpfs; files,
    # and every protected path without one, are left out of the Landlock grants (the grants around
    # them are split, so nothing can be created beside them either).
    hidden = [p for p in protected if mounts and os.path.isdir(p) and not os.path.islink(p)]
    holes = sorted(
        {*(p for p in protected if p not in hidden), *(os.path.abspath(os.fspath(p)) for p in spec.protected)}
    )
    holes = [h for h in holes if h not in hidden] + _existing(list(SYSTEM_SECRETS))
    read_only = _existing([os.path.join(workspace, rel) for rel in spec.read_only])

    masks: list[tuple[str, list[str]]] = []
    tmp_writable: list[str] = []
    if mounts:
        kept = [*writable, *readable]
        if spec.network:
            resolv = _real("/etc/resolv.conf")
            if os.path.exists(resolv):
                kept.append(resolv)
        for directory in MASKED_DIRS:
            if os.path.isdir(directory) and not os.path.islink(directory):
                keep = [p for p in kept if _under(p, directory) and p != directory]
                masks.append((directory, keep))
                tmp_writable.append(directory)
                # Read-only paths bound back under a writable tmpfs must stay read-only.
                read_only.extend(p for p in keep if p in readable and p not in writable)
    elif tmpdir is not None:
        tmp_writable.append(tmpdir)

    system = _existing(list(SYSTEM_READ_DIRS))
    if spec.network:
        resolv = _real("/etc/resolv.conf")
        if os.path.exists(resolv):
            system.append(resolv)
    return {
        "level": level.value,
        "network": spec.network,
        "landlock": level.confines_files,
        # With a network namespace there is nothing to reach; Landlock's TCP rules are for the
        # level without one.
        "landlock_tcp": level is SandboxLevel.LANDLOCK_ONLY and not spec.network,
        # The workspace is readable whole (.git included) even where its write grant is split.
        "read": [*system, workspace, *readable],
        "write": writable + tmp_writable,
        "devices": _existing(list(DEVICES)),
        "holes": holes,
        # Without a mount namespace, .git can only be kept read-only by leaving it out of the grants.
        "write_holes": [] if mounts else read_only,
        "read_only": read_only if mounts else [],
        "masks": masks,
        "hidden": hidden,
    }
