"""Running a command inside the sandbox: the launcher command line, a blocking ``run_sandboxed``,
and a stop that reaches every process the command started.

For streaming use, build the command with :func:`sandbox_command` and start it yourself::

    with sandbox_command(argv, spec, env=env) as cmd:
        proc = subprocess.Popen(cmd.argv, env=cmd.env, cwd=cwd, start_new_session=True, ...)
        ...
        stop_sandboxed(proc)          # on timeout or cancel

The command runs as ``argv`` (no shell is added: pass ``["/bin/bash", "-c", text]`` to run a line).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from openagent_lsp.sandbox.levels import LAUNCHER, SandboxLevel, detect_sandbox
from openagent_lsp.sandbox.spec import SandboxSpec, build_plan

DEFAULT_OUTPUT_CAP = 1024 * 1024
STOP_GRACE_S = 3.0  # longer than the launcher's own grace, so it finishes its kill first
SETUP_FAILED = 125


class SandboxUnavailable(RuntimeError):
    """No sandbox on this system (or not the level asked for): the caller must not run the command."""


@dataclass(frozen=True)
class SandboxCommand:
    """A ready-to-start sandboxed command: pass ``argv`` and ``env`` to ``subprocess.Popen``."""

    argv: list[str]
    env: dict[str, str]
    level: SandboxLevel


@dataclass(frozen=True)
class SandboxResult:
    exit_code: int | None
    stdout: str
    stderr: str
    timed_out: bool
    duration_ms: float
    level: SandboxLevel
    truncated: bool = False

    @property
    def setup_failed(self) -> bool:
        """The launcher refused to start the command (the sandbox could not be set up)."""
        return self.exit_code == SETUP_FAILED and self.stderr.startswith("openagent-sandbox:")


def python_toolchain_paths() -> tuple[Path, ...]:
    """Where this Python lives: add these to ``readable`` to run Python tools in the sandbox."""
    paths = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix)}
    return tuple(sorted(p.resolve() for p in paths))


@contextlib.contextmanager
def sandbox_command(
    argv: Sequence[str],
    spec: SandboxSpec,
    *,
    env: Mapping[str, str] | None = None,
    level: SandboxLevel | None = None,
) -> Iterator[SandboxCommand]:
    """The launcher command line for ``argv`` under ``spec``; cleans up its private temp dir after.

    ``level`` defaults to the strongest one available; NONE (or a level this machine cannot run)
    raises :class:`SandboxUnavailable` rather than running unconfined.
    """
    if not argv:
        raise ValueError("argv is empty")
    chosen = level or detect_sandbox().level
    if chosen is SandboxLevel.NONE:
        raise SandboxUnavailable("no OS sandbox is available on this system")
    base_env = dict(os.environ if env is None else env)
    tmpdir: str | None = None
    if chosen is SandboxLevel.LANDLOCK_ONLY:
        # No private /tmp without a mount namespace: the command gets a fresh directory of its own.
        tmpdir = tempfile.mkdtemp(prefix="openagent-sandbox-")
    try:
        plan = build_plan(spec, chosen, tmpdir) | {"parent_pid": os.getpid()}
        run_env = dict(base_env)
        if tmpdir is not None:
            run_env.update(TMPDIR=tmpdir, TMP=tmpdir, TEMP=tmpdir)
        else:
            run_env.update(TMPDIR="/tmp", TMP="/tmp", TEMP="/tmp")
        launcher = [sys.executable, "-I", "-S", str(LAUNCHER), json.dumps(plan), "--", *argv]
        yield SandboxCommand(launcher, run_env, chosen)
    finally:
        if tmpdir is not None:
            shutil.rmtree(tmpdir, ignore_errors=True)


def supervised_command(argv: Sequence[str], *, env: Mapping[str, str] | None = None) -> SandboxCommand:
    """Where no OS sandbox exists: the launcher confines nothing but still supervises ``argv`` -- every
    process it starts is killed when it exits, when it is stopped, or when the server dies. Linux only."""
    if not argv:
        raise ValueError("argv is empty")
    plan = {"level": SandboxLevel.NONE.value, "parent_pid": os.getpid()}
    launcher = [sys.executable, "-I", "-S", str(LAUNCHER), json.dumps(plan), "--", *argv]
    return SandboxCommand(launcher, dict(os.environ if env is None else env), SandboxLevel.NONE)


def stop_sandboxed(proc: subprocess.Popen[bytes], grace_s: float = STOP_GRACE_S) -> None:
    """SIGTERM the command's process group, then SIGKILL it; always reaps the launcher.

    The launcher turns SIGTERM into a kill of everything the command started (with a PID namespace,
    by ending its init; without, by killing every descendant), so nothing survives even a child that
    left the group with ``setsid`` and ignores SIGTERM.
    """
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace_s)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def run_sandboxed(
    argv: Sequence[str],
    spec: SandboxSpec,
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout_s: float = 60.0,
    stdin: bytes | None = None,
    output_cap: int = DEFAULT_OUTPUT_CAP,
    level: SandboxLevel | None = None,
) -> SandboxResult:
    """Run ``argv`` confined by ``spec`` and wait for it (at most ``timeout_s``, then stop it)."""
    started = time.monotonic()
    with sandbox_command(argv, spec, env=env, level=level) as cmd:
        proc = subprocess.Popen(
            cmd.argv,
            cwd=str(cwd or spec.workspace),
            env=cmd.env,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            close_fds=True,
        )
        timed_out = False
        try:
            out, err = proc.communicate(input=stdin, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            stop_sandboxed(proc)
            out, err = proc.communicate()
    truncated = len(out) > output_cap or len(err) > output_cap
    return SandboxResult(
        exit_code=proc.returncode,
        stdout=out[:output_cap].decode("utf-8", "replace"),
        stderr=err[:output_cap].decode("utf-8", "replace"),
        timed_out=timed_out,
        duration_ms=(time.monotonic() - started) * 1000.0,
        level=cmd.level,
        truncated=truncated,
    )
