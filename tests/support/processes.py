"""Finding a test's processes from the host's /proc (a process inside the sandbox's PID namespace too)."""

from __future__ import annotations

import contextlib
import os
import select
import time
from pathlib import Path


def processes_with(marker: str) -> list[int]:
    """PIDs (as this machine sees them) whose command line holds ``marker``; zombies do not count."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(") ", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if marker in cmdline and state != "Z" and "pytest" not in cmdline:
            found.append(int(entry))
    return found


def wait_for_line(fifo: Path, timeout: float) -> bytes:
    """What a command writes to ``fifo`` once it is up (b"" if nothing came within ``timeout``)."""
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO read end reports nothing before a writer
    try:
        ready, _, _ = select.select([fd], [], [], timeout)
        return os.read(fd, 64) if ready else b""
    finally:
        os.close(fd)


def still_running_after(pids: list[int], timeout: float) -> list[int]:
    """Wait on each process's exit (pidfds: the kernel says when it ends); the PIDs still alive after
    ``timeout``."""
    fds: dict[int, int] = {}
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):  # already gone
            fds[os.pidfd_open(pid)] = pid
    deadline = time.monotonic() + timeout
    try:
        while fds and (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select(list(fds), [], [], left)
            for fd in ready:
                os.close(fd)
                del fds[fd]
    finally:
        for fd in fds:
            os.close(fd)
    return list(fds.values())
