"""A command that ignores SIGTERM, started through the real server (chat ``/run``) and then cancelled: the
server kills it and everything it started, with its whole process group, after the grace period."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from tests.support.lsp import server_env
from tests.support.processes import processes_with, still_running_after, wait_for_line
from tests.support.raw_lsp import encode, start_initialized

pytestmark = pytest.mark.timeout(180)


def test_a_command_that_ignores_sigterm_dies_with_its_group_when_cancelled(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    marker = f"600.{uuid.uuid4().int % 10**8}"  # a sleep only this test starts
    fifo = root / "up.fifo"  # named relative: a path with "pytest" in it would hide the shell from processes_with
    os.mkfifo(fifo)
    # Both sleeps are forked before the command says it is up.
    command = f"sh -c \"trap '' TERM; sleep {marker} & sleep {marker} & echo up > {fifo.name}; wait\""
    env = server_env(tmp_path, "unused", OPENAGENT_PRELOAD_MODEL="false")
    server = start_initialized(env, root, stderr_path=tmp_path / "stderr",
                               answer=lambda m, _p: {"title": "Run once"} if m == "window/showMessageRequest" else None)
    try:
        msg_id = server.new_id()
        server.send_raw(encode({"jsonrpc": "2.0", "id": msg_id, "method": "workspace/executeCommand", "params": {
            "command": "openagent.chat", "arguments": [{"message": f"/run {command}", "conversationId": "stubborn"}]}}))
        assert wait_for_line(fifo, 60) == b"up\n", "the command did not start"
        started = processes_with(f"sleep {marker}")
        assert len(started) >= 2, started
        cancelled = server.request("workspace/executeCommand", {"command": "openagent.chat.cancel",
                                   "arguments": [{"conversationId": "stubborn"}]})
        assert cancelled["result"]["cancelled"] is True
        reply = server.wait_response(msg_id, 60)  # the turn ends: not a hang on a process that ignores TERM
        result = reply["result"]
        assert result["cancelled"] or not result["ok"], result
        assert still_running_after(started, 30) == [], processes_with(f"sleep {marker}")
        assert processes_with(f"sleep {marker}") == []  # both sleeps, the background one too
        assert server.alive() and "result" in server.request("openagent/status", {})
    finally:
        server.close()
        for pid in processes_with(f"sleep {marker}"):  # only if the assertion above failed
            os.kill(pid, 9)
