"""Landlock through direct system calls (ctypes): filesystem, TCP and scope rules for one process tree.

Landlock is an allowlist: once ``restrict_self`` runs, the process and everything it starts may only
touch what a rule names, and no later call can widen that. Rules name a directory (the right applies
to the whole hierarchy below it) or a single file. Rights this kernel's ABI does not know are
dropped, so one ruleset works from ABI 1 up.

This module uses only the standard library: the launcher (``launch.py``) runs it with ``python -I -S``
before ``exec``, outside the package's import machinery.
"""

from __future__ import annotations

import ctypes
import os
import stat
import struct

# System call numbers are the same on every architecture (they come from the generic table).
_SYS_CREATE_RULESET = 444
_SYS_ADD_RULE = 445
_SYS_RESTRICT_SELF = 446
_CREATE_RULESET_VERSION = 1 << 0
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38

# Filesystem rights (ABI 1 unless noted).
FS_EXECUTE = 1 << 0
FS_WRITE_FILE = 1 << 1
FS_READ_FILE = 1 << 2
FS_READ_DIR = 1 << 3
FS_REMOVE_DIR = 1 << 4
FS_REMOVE_FILE = 1 << 5
FS_MAKE_CHAR = 1 << 6
FS_MAKE_DIR = 1 << 7
FS_MAKE_REG = 1 << 8
FS_MAKE_SOCK = 1 << 9
FS_MAKE_FIFO = 1 << 10
FS_MAKE_BLOCK = 1 << 11
FS_MAKE_SYM = 1 << 12
FS_REFER = 1 << 13  # ABI 2: link or rename across directories
FS_TRUNCATE = 1 << 14  # ABI 3
FS_IOCTL_DEV = 1 << 15  # ABI 5
# Network rights (ABI 4).
NET_BIND_TCP = 1 << 0
NET_CONNECT_TCP = 1 << 1
# Scopes (ABI 6): no signals to, and no abstract unix sockets of, processes outside the sandbox.
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0
SCOPE_SIGNAL = 1 << 1

# Rights that make sense on a single file (the kernel refuses directory rights on a file rule).
_FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV

READ = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR
# Everything a build or test run needs in its own tree; device nodes are never created.
WRITE = (
    READ
    | FS_WRITE_FILE
    | FS_REMOVE_DIR
    | FS_REMOVE_FILE
    | FS_MAKE_DIR
    | FS_MAKE_REG
    | FS_MAKE_SOCK
    | FS_MAKE_FIFO
    | FS_MAKE_SYM
    | FS_REFER
    | FS_TRUNCATE
)
DEVICE_RW = FS_READ_FILE | FS_WRITE_FILE | FS_TRUNCATE | FS_IOCTL_DEV


class LandlockError(OSError):
    """A Landlock system call failed (the sandbox must then not run the command)."""


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def abi_version() -> int:
    """The kernel's Landlock ABI (0 when Landlock is missing or disabled)."""
    try:
        libc = _libc()
    except OSError:
        return 0
    v = libc.syscall(_SYS_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(_CREATE_RULESET_VERSION))
    return int(v) if v > 0 else 0


def handled_fs_rights(abi: int) -> int:
    rights = (1 << 13) - 1
    if abi >= 2:
        rights |= FS_REFER
    if abi >= 3:
        rights |= FS_TRUNCATE
    if abi >= 5:
        rights |= FS_IOCTL_DEV
    return rights


class Ruleset:
    """A Landlock ruleset being built; ``restrict_self`` applies it to this process for good."""

    def __init__(self, abi: int, *, restrict_tcp: bool, scope: bool = True) -> None:
        if abi < 1:
            raise LandlockError(0, "Landlock is not available on this kernel")
        self.abi = abi
        self.fs_rights = handled_fs_rights(abi)
        net = (NET_BIND_TCP | NET_CONNECT_TCP) if (restrict_tcp and abi >= 4) else 0
        scoped = (SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL) if (scope and abi >= 6) else 0
        # struct landlock_ruleset_attr grew with the ABI: pass only the fields this kernel knows.
        if abi >= 6:
            attr = struct.pack("=QQQ", self.fs_rights, net, scoped)
        elif abi >= 4:
            attr = struct.pack("=QQ", self.fs_rights, net)
        else:
            attr = struct.pack("=Q", self.fs_rights)
        self.restricts_tcp = bool(net)
        self.scoped = bool(scoped)
        self._libc = _libc()
        buf = ctypes.create_string_buffer(attr, len(attr))
        fd = self._libc.syscall(_SYS_CREATE_RULESET, buf, ctypes.c_size_t(len(attr)), ctypes.c_uint32(0))
        if fd < 0:
            err = ctypes.get_errno()
            raise LandlockError(err, f"landlock_create_ruleset: {os.strerror(err)}")
        self.fd = int(fd)

    def allow(self, path: str, rights: int) -> bool:
        """Grant ``rights`` on ``path`` (a directory: the whole tree below). False if it does not exist.

        The path is opened without following a final symlink: a link must never carry a grant to
        wherever it points.
        """
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC | os.O_NOFOLLOW)
        except OSError:
            return False
        try:
            st = os.fstat(fd)
            if stat.S_ISLNK(st.st_mode):
                return False
            rights &= self.fs_rights
            if not stat.S_ISDIR(st.st_mode):
                rights &= _FILE_RIGHTS
            if not rights:
                return False
            attr = struct.pack("=Qi", rights, fd)  # struct landlock_path_beneath_attr is packed
            buf = ctypes.create_string_buffer(attr, len(attr))
            r = self._libc.syscall(_SYS_ADD_RULE, ctypes.c_int(self.fd), ctypes.c_int(_RULE_PATH_BENEATH), buf, 0)
            if r < 0:
                err = ctypes.get_errno()
                raise LandlockError(err, f"landlock_add_rule({path}): {os.strerror(err)}")
            return True
        finally:
            os.close(fd)

    def restrict_self(self) -> None:
        """Enforce the ruleset on this process and all its future children (irreversible)."""
        if self._libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            err = ctypes.get_errno()
            raise LandlockError(err, f"prctl(PR_SET_NO_NEW_PRIVS): {os.strerror(err)}")
        r = self._libc.syscall(_SYS_RESTRICT_SELF, ctypes.c_int(self.fd), ctypes.c_uint32(0))
        if r < 0:
            err = ctypes.get_errno()
            raise LandlockError(err, f"landlock_restrict_self: {os.strerror(err)}")
        os.close(self.fd)
        self.fd = -1


def plan_grants(root: str, holes: list[str]) -> list[str]:
    """The paths to grant so that ``root``'s tree is covered except for ``holes`` (and their subtrees).

    Landlock rights on a directory reach everything below it and cannot be subtracted, so a tree
    with a hole is granted piece by piece: every sibling on the way to the hole gets a rule, the
    directories on the way get none (nothing new can be created directly in them). Symlinks are
    skipped: a grant must never follow one.
    """
    root = os.path.normpath(root)
    inside = [h for h in (os.path.normpath(h) for h in holes) if h == root or h.startswith(root.rstrip("/") + "/")]
    if not inside:
        return [root]
    if root in inside:
        return []
    try:
        names = sorted(os.listdir(root))
    except OSError:
        return []
    out: list[str] = []
    for name in names:
        child = os.path.join(root, name)
        if os.path.islink(child):
            continue
        out.extend(plan_grants(child, inside))
    return out
