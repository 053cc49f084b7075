"""The OS sandbox, tested with real processes at every level this machine can run.

Each test is the attack itself: a command that tries to write outside the workspace, write .git,
read a planted key, reach a listener on 127.0.0.1 or outlive the kill, followed by a check on the
host (the disk, the listener's queue, /proc) that nothing happened.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from openagent_lsp.sandbox import (
    SandboxLevel,
    SandboxResult,
    SandboxSpec,
    SandboxUnavailable,
    available_levels,
    detect_sandbox,
    run_sandboxed,
    sandbox_command,
    stop_sandboxed,
)
from openagent_lsp.sandbox.landlock import plan_grants

pytestmark = pytest.mark.timeout(120)

LEVELS = available_levels()
CONFINING = [lv for lv in LEVELS if lv.confines_files]
CONTAINING = LEVELS  # every level stops the process tree (a PID namespace, or the launcher's subreaper)
NO_NETWORK = LEVELS  # a network namespace, or Landlock's TCP rules
ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
SECRET = "-----BEGIN OPENSSH PRIVATE KEY----- planted-" + uuid.uuid4().hex

needs_sandbox = pytest.mark.skipif(not LEVELS, reason="no OS sandbox on this machine")


def wait_until(condition: Callable[[], bool], timeout_s: float = 15.0) -> bool:
    """Poll ``condition`` until it holds or the deadline passes (never a fixed sleep)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


@pytest.fixture()
def home(tmp_path: Path) -> Path:
    """A fake HOME with credentials planted where real ones live, and a harmless .gitconfig."""
    h = tmp_path / "home"
    (h / ".ssh").mkdir(parents=True)
    (h / ".ssh" / "id_rsa").write_text(SECRET + "\n")
    (h / ".aws").mkdir()
    (h / ".aws" / "credentials").write_text(f"aws_secret_access_key = {SECRET}\n")
    (h / ".config" / "gh").mkdir(parents=True)
    (h / ".config" / "gh" / "hosts.yml").write_text(f"oauth_token: {SECRET}\n")
    (h / ".netrc").write_text(f"machine x login y password {SECRET}\n")
    (h / ".gitconfig").write_text("[user]\n\tname = Sandbox Test\n\temail = t@example.invalid\n")
    return h.resolve()


@pytest.fixture()
def workspace(tmp_path: Path) -> Path:
    """A real git repository with one commit."""
    ws = (tmp_path / "ws").resolve()
    (ws / "src").mkdir(parents=True)
    (ws / "src" / "main.py").write_text("print('hi')\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "init.defaultBranch=main"]
    subprocess.run([*git, "init", "-q"], cwd=ws, check=True)
    subprocess.run([*git, "add", "-A"], cwd=ws, check=True)
    subprocess.run([*git, "commit", "-qm", "first"], cwd=ws, check=True)
    return ws


def sh(command: str, spec: SandboxSpec, level: SandboxLevel, home: Path, timeout_s: float = 30.0) -> SandboxResult:
    env = {**ENV, "HOME": str(home)}
    result = run_sandboxed(["/bin/bash", "-c", command], spec, env=env, timeout_s=timeout_s, level=level)
    assert not result.setup_failed, result.stderr
    return result


def test_detection_reports_a_level_and_what_it_means() -> None:
    status = detect_sandbox()
    data = status.to_json()
    assert data["level"] in {lv.value for lv in SandboxLevel}
    assert isinstance(data["summary"], str) and data["summary"]
    assert status.level in [*LEVELS, SandboxLevel.NONE]
    if status.level is not SandboxLevel.NONE:
        assert status.level is LEVELS[0]  # the strongest available is the one reported


def test_no_sandbox_refuses_instead_of_running_unconfined(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    with pytest.raises(SandboxUnavailable):
        run_sandboxed(["touch", str(marker)], SandboxSpec(workspace=tmp_path), level=SandboxLevel.NONE)
    assert not marker.exists()


@needs_sandbox
def test_a_broken_plan_never_runs_the_command(tmp_path: Path) -> None:
    from openagent_lsp.sandbox.levels import LAUNCHER

    marker = tmp_path / "ran"
    import sys

    done = subprocess.run(
        [sys.executable, "-I", "-S", str(LAUNCHER), '{"level": "full"}', "--", "touch", str(marker)],
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert done.returncode != 0
    assert not marker.exists()


@pytest.mark.parametrize("level", LEVELS, ids=str)
def test_writes_inside_the_workspace_work(level: SandboxLevel, workspace: Path, home: Path) -> None:
    spec = SandboxSpec(workspace=workspace, home=home)
    r = sh(
        "echo built > src/out.txt && mkdir -p src/build/deep && echo x > src/build/deep/y && cat src/out.txt",
        spec,
        level,
        home,
    )
    assert r.exit_code == 0, r.stderr
    assert r.stdout.strip() == "built"
    assert (workspace / "src" / "out.txt").read_text() == "built\n"
    assert (workspace / "src" / "build" / "deep" / "y").exists()
    # New entries at the top of the workspace: with a mount namespace .git is a read-only mount and
    # the whole workspace is granted; with Landlock alone the grant is split around .git, so only
    # existing top-level entries are writable (a documented limit of that level).
    top = sh("echo new > top.txt", spec, level, home)
    assert (workspace / "top.txt").exists() is (level is not SandboxLevel.LANDLOCK_ONLY), top.stderr


@pytest.mark.parametrize("level", CONFINING, ids=str)
def test_cannot_write_outside_the_workspace(level: SandboxLevel, workspace: Path, home: Path, tmp_path: Path) -> None:
    spec = SandboxSpec(workspace=workspace, home=home)
    sibling = tmp_path / f"outside-{uuid.uuid4().hex}"
    in_home = home / ".bashrc"
    real_home = Path(os.path.expanduser("~")) / f".openagent-sandbox-test-{uuid.uuid4().hex}"
    try:
        for target in (sibling, in_home, real_home, workspace.parent / "escape.txt"):
            r = sh(f"echo pwned >> {target}", spec, level, home)
            assert not target.exists(), f"{level}: wrote {target} ({r.exit_code}, {r.stderr})"
        r = sh(f"ln -s {sibling} link && echo pwned > link", spec, level, home)
        assert not sibling.exists()
    finally:
        real_home.unlink(missing_ok=True)


@pytest.mark.parametrize("level", LEVELS, ids=str)
def test_git_dir_is_read_only(level: SandboxLevel, workspace: Path, home: Path) -> None:
    spec = SandboxSpec(workspace=workspace, home=home)
    config_before = (workspace / ".git" / "config").read_bytes()
    head_before = (workspace / ".git" / "HEAD").read_bytes()
    attempts = [
        "echo '[core]' >> .git/config",
        "printf '#!/bin/sh\\nid\\n' > .git/hooks/pre-commit && chmod +x .git/hooks/pre-commit",
        "rm -f .git/HEAD",
        "mkdir .git/evil",
        "ln .git/config gc && echo '[alias]' >> gc",
        "cd .git && echo x > description",
        "mv .git .git-moved",
    ]
    for command in attempts:
        sh(command, spec, level, home)
    assert (workspace / ".git" / "config").read_bytes() == config_before
    assert (workspace / ".git" / "HEAD").read_bytes() == head_before
    assert not (workspace / ".git" / "hooks" / "pre-commit").exists()
    assert not (workspace / ".git" / "evil").exists()
    assert not (workspace / ".git-moved").exists()


@pytest.mark.parametrize("level", LEVELS, ids=str)
def test_git_status_works_read_only(level: SandboxLevel, workspace: Path, home: Path) -> None:
    spec = SandboxSpec(workspace=workspace, home=home)
    (workspace / "src" / "main.py").write_text("print('changed')\n")
    r = sh("git status --porcelain && git log --oneline && git diff --stat", spec, level, home)
    assert r.exit_code == 0, r.stderr
    assert "M src/main.py" in r.stdout
    assert "first" in r.stdout
    commit = sh("git commit -qam second", spec, level, home)
    assert commit.exit_code != 0
    log = subprocess.run(["git", "log", "--oneline"], cwd=workspace, capture_output=True, text=True, check=True)
    assert "second" not in log.stdout


@pytest.mark.parametrize("level", CONFINING, ids=str)
def test_cannot_read_planted_secrets_in_home(level: SandboxLevel, workspace: Path, home: Path) -> None:
    spec = SandboxSpec(workspace=workspace, home=home)
    for path in (".ssh/id_rsa", ".aws/credentials", ".config/gh/hosts.yml", ".netrc"):
        r = sh(f'cat "$HOME/{path}"; cp "$HOME/{path}" stolen 2>/dev/null; cat stolen', spec, level, home)
        assert SECRET not in r.stdout + r.stderr, path
    r = sh("grep -r planted ~ 2>/dev/null; find ~ -type f -exec cat {} + 2>/dev/null", spec, level, home)
    assert SECRET not in r.stdout
    # The allowlist still lets tools read what they need from HOME.
    assert "Sandbox Test" in sh("git config --global user.name", spec, level, home).stdout


@pytest.mark.parametrize("level", CONFINING, ids=str)
def test_protected_dirs_are_out_of_reach_even_inside_the_workspace(
    level: SandboxLevel, workspace: Path, home: Path
) -> None:
    state = workspace / ".state"
    state.mkdir()
    (state / "audit.jsonl").write_text(SECRET + "\n")
    spec = SandboxSpec(workspace=workspace, home=home, protected=(state,))
    r = sh("cat .state/audit.jsonl; echo tampered > .state/audit.jsonl; echo x > .state/new", spec, level, home)
    assert SECRET not in r.stdout
    assert (state / "audit.jsonl").read_text() == SECRET + "\n"
    assert not (state / "new").exists()
    assert sh("echo fine > src/ok", spec, level, home).exit_code == 0


class Listener:
    """A TCP listener on 127.0.0.1 whose accept queue tells whether anyone connected."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]

    def connected(self, timeout_s: float) -> bool:
        self.sock.settimeout(timeout_s)
        try:
            conn, _ = self.sock.accept()
        except TimeoutError:
            return False
        conn.close()
        return True

    def close(self) -> None:
        self.sock.close()


@pytest.mark.parametrize("level", NO_NETWORK, ids=str)
def test_no_network_unless_asked(level: SandboxLevel, workspace: Path, home: Path) -> None:
    listener = Listener()
    try:
        spec = SandboxSpec(workspace=workspace, home=home)
        r = sh(f"echo hello > /dev/tcp/127.0.0.1/{listener.port}", spec, level, home)
        assert r.exit_code != 0
        # The command has finished: a connection it made would already sit in the accept queue.
        assert not listener.connected(timeout_s=0.2)
        allowed = SandboxSpec(workspace=workspace, home=home, network=True)
        r = sh(f"echo hello > /dev/tcp/127.0.0.1/{listener.port}", allowed, level, home)
        assert r.exit_code == 0, r.stderr
        assert listener.connected(timeout_s=10)  # the check above would have seen one
    finally:
        listener.close()


def _marker_alive(marker: str) -> bool:
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmdline = fh.read()
            with open(f"/proc/{entry}/stat", "rb") as fh:
                state = fh.read().rsplit(b")", 1)[1].split()[0]
        except OSError:
            continue
        if marker.encode() in cmdline and state not in (b"Z", b"X"):
            return True
    return False


# A child that leaves the process group, ignores SIGTERM and would run for ten minutes.
ESCAPEE = "setsid -f bash -c 'trap \"\" TERM HUP INT; touch src/escaped.ready; while :; do sleep 1; done' {marker}"


@pytest.mark.parametrize("level", CONTAINING, ids=str)
def test_a_setsid_child_dies_with_the_group_kill(level: SandboxLevel, workspace: Path, home: Path) -> None:
    marker = "openagent-escapee-" + uuid.uuid4().hex
    spec = SandboxSpec(workspace=workspace, home=home)
    command = ESCAPEE.format(marker=marker) + "; trap '' TERM; sleep 600"
    with sandbox_command(["/bin/bash", "-c", command], spec, env={**ENV, "HOME": str(home)}, level=level) as cmd:
        proc = subprocess.Popen(cmd.argv, cwd=workspace, env=cmd.env, start_new_session=True, stdout=subprocess.DEVNULL)
        try:
            assert wait_until(lambda: (workspace / "src" / "escaped.ready").exists()), "the escapee never started"
            assert wait_until(lambda: _marker_alive(marker))
            stop_sandboxed(proc)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert wait_until(lambda: not _marker_alive(marker), timeout_s=15), f"{level}: the setsid child survived"


@pytest.mark.parametrize("level", CONTAINING, ids=str)
def test_stragglers_do_not_outlive_the_command(level: SandboxLevel, workspace: Path, home: Path) -> None:
    marker = "openagent-straggler-" + uuid.uuid4().hex
    spec = SandboxSpec(workspace=workspace, home=home)
    command = ESCAPEE.format(marker=marker) + "; while [ ! -e src/escaped.ready ]; do sleep 0.05; done; echo done"
    r = sh(command, spec, level, home)
    assert r.exit_code == 0, r.stderr
    assert wait_until(lambda: not _marker_alive(marker), timeout_s=15), f"{level}: a straggler outlived the command"


@pytest.mark.parametrize("level", LEVELS, ids=str)
def test_timeout_stops_the_command(level: SandboxLevel, workspace: Path, home: Path) -> None:
    spec = SandboxSpec(workspace=workspace, home=home)
    started = time.monotonic()
    r = run_sandboxed(["sleep", "600"], spec, env=ENV, timeout_s=1.0, level=level)
    assert r.timed_out
    assert time.monotonic() - started < 60


def test_plan_grants_splits_around_holes(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / ".git" / "hooks").mkdir(parents=True)
    (root / "src").mkdir()
    (root / "README").write_text("x")
    (root / "link").symlink_to("/")
    grants = plan_grants(str(root), [str(root / ".git")])
    assert sorted(grants) == sorted([str(root / "README"), str(root / "src")])
    assert plan_grants(str(root), []) == [str(root)]
    assert plan_grants(str(root), [str(root)]) == []


@pytest.fixture()
def outsider() -> Iterator[subprocess.Popen[bytes]]:
    """A process outside the sandbox, with a secret in its environment (like the server's)."""
    proc = subprocess.Popen(["sleep", "600"], env={**ENV, "OPENAGENT_TEST_TOKEN": SECRET})
    yield proc
    proc.kill()
    proc.wait()


@pytest.mark.parametrize("level", CONFINING, ids=str)
def test_cannot_read_another_process_environment(
    level: SandboxLevel, workspace: Path, home: Path, outsider: subprocess.Popen[bytes]
) -> None:
    spec = SandboxSpec(workspace=workspace, home=home)
    r = sh(f"cat /proc/{outsider.pid}/environ; cat /proc/*/environ 2>/dev/null", spec, level, home)
    assert SECRET not in r.stdout


@pytest.mark.parametrize("level", LEVELS, ids=str)
def test_cannot_signal_processes_outside(
    level: SandboxLevel, workspace: Path, home: Path, outsider: subprocess.Popen[bytes]
) -> None:
    spec = SandboxSpec(workspace=workspace, home=home)
    sh(f"kill -9 {outsider.pid}", spec, level, home)
    assert outsider.poll() is None, "a sandboxed command killed a process outside the sandbox"


@pytest.mark.parametrize("level", LEVELS, ids=str)
def test_the_command_holds_no_capabilities(level: SandboxLevel, workspace: Path, home: Path) -> None:
    spec = SandboxSpec(workspace=workspace, home=home)
    r = sh("grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb)' /proc/self/status", spec, level, home)
    caps = dict(line.split(":\t") for line in r.stdout.strip().splitlines())
    assert set(caps) == {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}
    assert all(int(v, 16) == 0 for v in caps.values()), caps


@pytest.mark.parametrize("level", CONFINING, ids=str)
def test_system_secrets_stay_unreadable_even_for_root(level: SandboxLevel, workspace: Path, home: Path) -> None:
    spec = SandboxSpec(workspace=workspace, home=home)
    r = sh("cat /etc/shadow /etc/gshadow 2>/dev/null; grep -r . /etc/ssh 2>/dev/null; echo done", spec, level, home)
    assert r.stdout.strip().endswith("done")
    try:
        first = Path("/etc/shadow").read_text().splitlines()[0]
    except (OSError, IndexError):
        first = "root:"  # not readable here either: the sandbox must not read it
    assert first not in r.stdout
    assert "root:" not in r.stdout
    # the rest of /etc stays readable (tools need it)
    assert sh("cat /etc/passwd | head -1", spec, level, home).stdout.startswith("root:")
