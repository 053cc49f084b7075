"""Linux namespaces and process control through ctypes: user, mount, network and PID namespaces,
read-only bind mounts, private tmpfs, capability dropping, and the process-tree kill.

Why each piece:

* a **user namespace** lets an unprivileged process create the others;
* a **network namespace** has only a loopback of its own: no route to the host or the internet;
* a **PID namespace** ties every process the command starts to its init: when that init dies, the
  kernel kills them all, whatever they did (``setsid``, double fork, ignoring SIGTERM);
* a **mount namespace** makes ``.git`` read-only and hides ``/tmp`` and ``/run`` (where other
  programs' sockets live, e.g. ssh-agent or docker, which Landlock cannot mediate).

Only the standard library is used: the launcher runs this with ``python -I -S`` before ``exec``.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import select
import signal
import socket
import struct

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_NOATIME = 1024
MS_NODIRATIME = 2048
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MS_RELATIME = 1 << 21
MS_STRICTATIME = 1 << 24

_PR_SET_PDEATHSIG = 1
_PR_CAPBSET_DROP = 24
_PR_SET_CHILD_SUBREAPER = 36
_LINUX_CAPABILITY_VERSION_3 = 0x20080522
_SIOCGIFFLAGS = 0x8913
_SIOCSIFFLAGS = 0x8914
_IFF_UP = 0x1

# statvfs f_flag bits that a bind remount inside a user namespace must keep (they are "locked").
_ST_TO_MS = {1: MS_RDONLY, 2: MS_NOSUID, 4: MS_NODEV, 8: MS_NOEXEC, 1024: MS_NOATIME, 2048: MS_NODIRATIME}


class NamespaceError(OSError):
    """Setting up a namespace failed (the sandbox must then not run the command)."""


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise NamespaceError(err, f"{what}: {os.strerror(err)}")


def enter_namespaces(*, network: bool, mount: bool = True) -> None:
    """Move this process into new user (+ mount, PID and, unless ``network``, network) namespaces.

    The outside uid/gid map to themselves inside, so files keep their owner and git does not see
    "dubious ownership". The PID namespace applies to the children started afterwards.
    """
    uid, gid = os.getuid(), os.getgid()
    flags = CLONE_NEWUSER | CLONE_NEWPID | (CLONE_NEWNS if mount else 0) | (0 if network else CLONE_NEWNET)
    _check(_libc().unshare(ctypes.c_int(flags)), "unshare")
    with open("/proc/self/setgroups", "w") as fh:
        fh.write("deny")
    with open("/proc/self/uid_map", "w") as fh:
        fh.write(f"{uid} {uid} 1")
    with open("/proc/self/gid_map", "w") as fh:
        fh.write(f"{gid} {gid} 1")


def loopback_up() -> None:
    """Bring up the private loopback so the command's own processes can talk to each other."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        req = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(s.fileno(), _SIOCGIFFLAGS, req))[1]
        fcntl.ioctl(s.fileno(), _SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | _IFF_UP))


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    def enc(s: str | None) -> bytes | None:
        return s.encode() if s is not None else None

    _check(_libc().mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)), f"mount {target}")


def make_mounts_private() -> None:
    """Nothing mounted here propagates back to the host."""
    mount(None, "/", None, MS_REC | MS_PRIVATE)


def bind_read_only(path: str) -> None:
    """Bind ``path`` onto itself and remount it read-only (keeping the flags the kernel locked)."""
    mount(path, path, None, MS_BIND | MS_REC)
    locked = 0
    st = os.statvfs(path)
    for st_flag, ms_flag in _ST_TO_MS.items():
        if st.f_flag & st_flag:
            locked |= ms_flag
    mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | locked)


def mask_with_tmpfs(directory: str, keep: list[str]) -> None:
    """Mount an empty tmpfs over ``directory``, then bind ``keep`` (paths below it) back in place.

    The kept paths are opened before the tmpfs hides them and bound back from their descriptors.
    """
    fds: list[tuple[str, int, bool]] = []
    for path in keep:
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            continue
        fds.append((path, fd, os.path.isdir(f"/proc/self/fd/{fd}")))
    try:
        mount("tmpfs", directory, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777")
        for path, fd, is_dir in sorted(fds, key=lambda t: t[0].count("/")):
            if is_dir:
                os.makedirs(path, exist_ok=True)
            else:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "a"):
                    pass
            mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
    finally:
        for _, fd, _ in fds:
            os.close(fd)


def hide_directory(path: str) -> None:
    """Cover ``path`` with an empty, read-only tmpfs: nothing below it can be read or written."""
    mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, "mode=000,size=4k")


def mount_proc() -> bool:
    """A /proc that shows only this PID namespace (best effort: some containers forbid it)."""
    try:
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        return True
    except NamespaceError:
        return False


def die_with_parent(parent_alive_fd: int) -> None:
    """SIGKILL this process when its parent dies (and exit now if that already happened).

    ``parent_alive_fd`` is the read end of a pipe whose write end only the parent holds: it reads
    as end-of-file once the parent is gone. (``getppid`` cannot tell: it is 0 for a namespace's init.)
    """
    set_parent_death_signal(signal.SIGKILL)
    readable, _, _ = select.select([parent_alive_fd], [], [], 0)
    if readable:
        os._exit(137)
    os.close(parent_alive_fd)


def set_parent_death_signal(sig: int) -> None:
    """The kernel sends ``sig`` to this process when the *thread* that forked it exits."""
    _check(_libc().prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0), "prctl(PR_SET_PDEATHSIG)")


def become_subreaper() -> None:
    """Orphans of this process tree (``setsid`` + double fork) are re-parented to us, not to init."""
    _check(_libc().prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "prctl(PR_SET_CHILD_SUBREAPER)")


def drop_capabilities() -> None:
    """Empty the bounding set and the capability sets, so the command runs without privileges.

    Inside a user namespace the launcher holds every capability (and as uid 0 an exec would keep
    them); dropping them means the command cannot undo the mounts made for it.
    """
    libc = _libc()
    try:
        with open("/proc/sys/kernel/cap_last_cap") as fh:
            last = int(fh.read().strip())
    except (OSError, ValueError):
        last = 63
    for cap in range(last + 1):
        if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            err = ctypes.get_errno()
            if err in (errno.EINVAL, errno.EPERM):
                break  # past the kernel's last capability, or we hold none to drop
            raise NamespaceError(err, f"prctl(PR_CAPBSET_DROP): {os.strerror(err)}")
    header = struct.pack("=Ii", _LINUX_CAPABILITY_VERSION_3, 0)
    data = bytes(24)  # two empty {effective, permitted, inheritable} triples
    hbuf = ctypes.create_string_buffer(header, len(header))
    dbuf = ctypes.create_string_buffer(data, len(data))
    _check(libc.capset(hbuf, dbuf), "capset")


def descendants(root_pid: int) -> list[int]:
    """Every live process below ``root_pid`` (children first), read from /proc."""
    parent_of: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            with open(f"/proc/{entry}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
            if fields[0] not in (b"Z", b"X"):
                parent_of[int(entry)] = int(fields[1])
    children: dict[int, list[int]] = {}
    for pid, ppid in parent_of.items():
        children.setdefault(ppid, []).append(pid)
    out: list[int] = []
    todo = list(children.get(root_pid, []))
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def kill_descendants(root_pid: int, sig: int = signal.SIGKILL, rounds: int = 50) -> None:
    """Signal every descendant until none is left (new ones forked meanwhile are caught next round)."""
    for _ in range(rounds):
        pids = descendants(root_pid)
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)
        if sig != signal.SIGKILL:
            return
        reap_children()


def reap_children() -> list[tuple[int, int]]:
    """waitpid every exited child without blocking; (pid, status) of each."""
    out: list[tuple[int, int]] = []
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return out
        if pid == 0:
            return out
        out.append((pid, status))
