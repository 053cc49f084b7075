"""The sandbox launcher: ``python -I -S launch.py PLAN_JSON -- ARGV...``.

It sets the sandbox up around itself, then runs ARGV as its child and supervises it. The plan is
built by ``runner.py`` (paths already resolved); this file only carries it out, and refuses to run
the command at all when any step fails (exit status 125, message on stderr): a sandbox that silently
falls back to "no sandbox" would be worse than none.

Process layout with namespaces (levels "full" and "namespaces-only")::

    launcher (user+mount+net namespaces)     forwards SIGTERM, SIGKILLs init after a grace period
      └─ init = PID 1 of a new PID namespace  Landlock, no capabilities, reaps, exits with ARGV's status
           └─ ARGV                            when init exits, the kernel kills every process left

Without namespaces ("landlock-only") the launcher is a child subreaper instead: orphans come back
to it, and it SIGKILLs every descendant when ARGV exits or when it is asked to stop. Level "none"
(no OS sandbox here) confines nothing but supervises the same way, so a command never outlives the
server even unsandboxed.

The launcher dies with the server: PR_SET_PDEATHSIG sends it SIGTERM (handled as a stop: everything
the command started is killed, SIGKILL after the grace period) when the server thread that started it
exits -- that thread waits for the command, so it only exits early when the whole server is killed.
The stop signals stay blocked until their handlers are in place, so such a stop is never lost.

Only the standard library is imported (``python -I -S`` skips site-packages for a fast start).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import signal
import sys

# The sibling modules are loaded as top-level modules: this file runs without the package.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import landlock
import namespaces

SETUP_FAILED = 125
EXEC_FAILED = 127
STOP_GRACE_S = 1.0
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def _fail(message: str) -> None:
    os.write(2, f"openagent-sandbox: {message}\n".encode(errors="replace"))
    os._exit(SETUP_FAILED)


def _status_code(status: int) -> int:
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def _apply_landlock(plan: dict) -> None:
    abi = landlock.abi_version()
    ruleset = landlock.Ruleset(abi, restrict_tcp=plan["landlock_tcp"])
    holes = plan["holes"]
    for path in plan["read"]:
        for piece in landlock.plan_grants(path, holes):
            ruleset.allow(piece, landlock.READ)
    for path in plan["write"]:
        for piece in landlock.plan_grants(path, holes + plan["write_holes"]):
            ruleset.allow(piece, landlock.WRITE)
    for path in plan["devices"]:
        ruleset.allow(path, landlock.DEVICE_RW)
    ruleset.restrict_self()


def _tie_to_server(plan: dict) -> None:
    """SIGTERM when the server goes; if it went before this point, run nothing."""
    try:
        namespaces.set_parent_death_signal(signal.SIGTERM)
    except OSError as exc:
        _fail(f"cannot tie the command to the server: {exc}")
    if os.getppid() != plan.get("parent_pid", os.getppid()):
        _fail("the server is gone; not running the command")


def _unblock_stop_signals() -> None:
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)


def _exec_command(argv: list[str]) -> None:
    """exec ARGV, searching PATH like execvp.

    Not ``os.execvp``: it imports ``warnings`` lazily, and after ``restrict_self`` the launcher may no
    longer be allowed to read its own standard library. Nothing may be imported from here on.
    """
    for sig in (*_STOP_SIGNALS, signal.SIGALRM, signal.SIGCHLD, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_DFL)
    _unblock_stop_signals()
    name = argv[0]
    if "/" in name:
        candidates = [name]
    else:
        candidates = [os.path.join(d or ".", name) for d in os.environ.get("PATH", "/usr/bin:/bin").split(":")]
    first_error: OSError | None = None
    for path in candidates:
        try:
            os.execv(path, argv)
        except OSError as exc:
            if first_error is None or (first_error.errno in (errno.ENOENT, errno.ENOTDIR)):
                first_error = exc
    reason = first_error.strerror if first_error is not None else "not found"
    os.write(2, f"openagent-sandbox: cannot run {name}: {reason}\n".encode(errors="replace"))
    os._exit(EXEC_FAILED)


def _supervise(argv: list[str], *, pid_namespace: bool) -> int:
    """Run ARGV as a child; reap everything; return ARGV's exit status (128+N for signal N)."""
    child = os.fork()
    if child == 0:
        _exec_command(argv)
    me = os.getpid()

    def stop(sig: int, _frame: object) -> None:
        # Ask nicely, then make sure: everything left after the grace period is killed.
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, sig)
        if not pid_namespace:
            namespaces.kill_descendants(me, sig)
        signal.setitimer(signal.ITIMER_REAL, STOP_GRACE_S)

    def force(_sig: int, _frame: object) -> None:
        if pid_namespace:
            os._exit(137)  # init exits: the kernel kills the whole namespace
        namespaces.kill_descendants(me)

    for sig in _STOP_SIGNALS:
        signal.signal(sig, stop)
    signal.signal(signal.SIGALRM, force)
    _unblock_stop_signals()
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            return EXEC_FAILED
        if pid == child:
            break
    if not pid_namespace:
        namespaces.kill_descendants(me)  # stragglers (``sleep 100 &``, setsid daemons) never outlive ARGV
    return _status_code(status)


def _run_init(plan: dict, argv: list[str], parent_alive_fd: int) -> None:
    """PID 1 of the new PID namespace."""
    try:
        namespaces.die_with_parent(parent_alive_fd)
        namespaces.mount_proc()
        if not plan["network"]:
            namespaces.loopback_up()
        if plan["landlock"]:
            _apply_landlock(plan)
        namespaces.drop_capabilities()
    except OSError as exc:
        _fail(f"setting up the sandbox failed: {exc}")
    os._exit(_supervise(argv, pid_namespace=True))


def _with_namespaces(plan: dict, argv: list[str]) -> int:
    cwd = os.getcwd()
    try:
        namespaces.enter_namespaces(network=plan["network"])
        namespaces.make_mounts_private()
        for directory, keep in plan["masks"]:
            namespaces.mask_with_tmpfs(directory, keep)
        for path in plan["read_only"]:
            namespaces.bind_read_only(path)
        for path in plan["hidden"]:
            if os.path.isdir(path):  # else already out of sight under a masked directory
                namespaces.hide_directory(path)
    except OSError as exc:
        _fail(f"setting up namespaces failed: {exc}")
    _tie_to_server(plan)  # again: the new user namespace gave this process new credentials
    try:
        # Re-enter the working directory through the new mounts: the inherited one still points into
        # the tree as it was before them (under a masked /tmp, or beside the read-only .git).
        os.chdir(cwd)
    except OSError as exc:
        _fail(f"the working directory {cwd} is not inside the sandbox: {exc.strerror}")
    alive_r, alive_w = os.pipe()
    init = os.fork()
    if init == 0:
        os.close(alive_w)
        _run_init(plan, argv, alive_r)
    os.close(alive_r)

    def stop(sig: int, _frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(init, sig)
        signal.setitimer(signal.ITIMER_REAL, STOP_GRACE_S)

    def force(_sig: int, _frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(init, signal.SIGKILL)

    for sig in _STOP_SIGNALS:
        signal.signal(sig, stop)
    signal.signal(signal.SIGALRM, force)
    _unblock_stop_signals()
    _, status = os.waitpid(init, 0)
    return _status_code(status)


def _landlock_only(plan: dict, argv: list[str]) -> int:
    try:
        namespaces.become_subreaper()
        _apply_landlock(plan)
        namespaces.drop_capabilities()
    except OSError as exc:
        _fail(f"setting up Landlock failed: {exc}")
    _tie_to_server(plan)  # again: dropping capabilities changed this process's credentials
    return _supervise(argv, pid_namespace=False)


def _supervised_only(plan: dict, argv: list[str]) -> int:
    """No OS sandbox: nothing is confined, but the command still dies with the server."""
    try:
        namespaces.become_subreaper()
    except OSError as exc:
        _fail(f"cannot supervise the command: {exc}")
    return _supervise(argv, pid_namespace=False)


def _probe(level: str) -> int:
    """Exit 0 when this machine can set up ``level`` (used by detection, runs nothing)."""
    if level == "landlock-only":
        return 0 if landlock.abi_version() >= 1 else 1
    try:
        namespaces.enter_namespaces(network=False)
        namespaces.make_mounts_private()
    except OSError:
        return 1
    child = os.fork()
    if child == 0:
        os._exit(0 if os.getpid() == 1 else 1)
    _, status = os.waitpid(child, 0)
    return _status_code(status)


def main(args: list[str]) -> int:
    if len(args) == 2 and args[0] == "--probe":
        return _probe(args[1])
    signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)  # until the handlers are in place
    if len(args) < 3 or args[1] != "--":
        _fail("usage: launch.py PLAN_JSON -- ARGV...")
    try:
        plan = json.loads(args[0])
    except ValueError as exc:
        _fail(f"invalid plan: {exc}")
    argv = args[2:]
    _tie_to_server(plan)
    if plan["level"] == "none":
        return _supervised_only(plan, argv)
    if plan["level"] in ("full", "namespaces-only"):
        return _with_namespaces(plan, argv)
    if plan["level"] == "landlock-only":
        return _landlock_only(plan, argv)
    _fail(f"unknown sandbox level {plan['level']!r}")
    return SETUP_FAILED


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
