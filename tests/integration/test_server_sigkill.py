"""A server killed with SIGKILL leaves no command running: a long ``/run`` started through the real server,
in the OS sandbox and on the unsandboxed fallback, is gone soon after the server is (the launcher gets
SIGTERM through PR_SET_PDEATHSIG and kills everything the command started)."""

from __future__ import annotations

import os
import signal
import sys
import uuid
from pathlib import Path

import pytest

from openagent_lsp.sandbox import available_levels
from tests.support.lsp import server_env
from tests.support.processes import processes_with, still_running_after, wait_for_line
from tests.support.raw_lsp import encode, start_initialized

pytestmark = pytest.mark.timeout(240)
UNSANDBOXED = [sys.executable, "-m", "tests.support.unsandboxed_server"]


@pytest.mark.parametrize("where", ["sandboxed", "unsandboxed"])
def test_a_sigkilled_server_leaves_no_command_running(tmp_path: Path, where: str) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("PR_SET_PDEATHSIG is Linux only")
    if where == "sandboxed" and not available_levels():
        pytest.skip("no OS sandbox on this machine")
    root = tmp_path / "ws"
    root.mkdir()
    marker = f"900.{uuid.uuid4().int % 10**8}"  # a sleep only this test starts
    # A background child too, and one that ignores SIGTERM: nothing of it may outlive the server.
    fifo = root / "up.fifo"  # named relative: a path with "pytest" in it would hide the shell from processes_with
    os.mkfifo(fifo)
    # Both sleeps are forked before the command says it is up, so all of it exists when the server dies.
    command = f"sh -c \"trap '' TERM; sleep {marker} & sleep {marker} & echo up > {fifo.name}; wait\""
    env = server_env(tmp_path, "unused", OPENAGENT_PRELOAD_MODEL="false",
                     PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    server = start_initialized(env, root, command=UNSANDBOXED if where == "unsandboxed" else None,
                               stderr_path=tmp_path / "stderr",
                               answer=lambda m, _p: {"title": "Run once"} if m == "window/showMessageRequest" else None)
    try:
        server.send_raw(encode({"jsonrpc": "2.0", "id": server.new_id(), "method": "workspace/executeCommand",
                                "params": {"command": "openagent.chat", "arguments": [
                                    {"message": f"/run {command}", "conversationId": "killed"}]}}))
        assert wait_for_line(fifo, 60) == b"up\n", "the command did not start"
        started = processes_with(f"sleep {marker}")
        assert len(started) >= 3, started
        os.kill(server.pid, signal.SIGKILL)  # the server alone: the command runs in a session of its own
        assert server.proc is not None and server.proc.wait(30) == -signal.SIGKILL
        assert still_running_after(started, 60) == [], processes_with(f"sleep {marker}")
        assert processes_with(f"sleep {marker}") == []
    finally:
        server.close()
        for pid in processes_with(f"sleep {marker}"):  # only if the assertion above failed
            os.kill(pid, signal.SIGKILL)
