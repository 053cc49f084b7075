"""A command that ignores SIGTERM, started through the real server (chat ``/run``) and then cancelled: the
server kills it and everything it started, with its whole process group, after the grace period."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import pytest

from tests.support.lsp import server_env
from tests.support.processes import processes_with
from tests.support.raw_lsp import encode, start_initialized

pytestmark = pytest.mark.timeout(180)


def test_a_command_that_ignores_sigterm_dies_with_its_group_when_cancelled(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    marker = f"600.{uuid.uuid4().int % 10**8}"  # a sleep only this test starts
    command = f"sh -c \"trap '' TERM; sleep {marker} & sleep {marker}\""
    env = server_env(tmp_path, "unused", OPENAGENT_PRELOAD_MODEL="false")
    server = start_initialized(env, root, stderr_path=tmp_path / "stderr",
                               answer=lambda m, _p: {"title": "Run once"} if m == "window/showMessageRequest" else None)
    try:
        msg_id = server.new_id()
        server.send_raw(encode({"jsonrpc": "2.0", "id": msg_id, "method": "workspace/executeCommand", "params": {
            "command": "openagent.chat", "arguments": [{"message": f"/run {command}", "conversationId": "stubborn"}]}}))
        deadline = time.monotonic() + 60
        while len(processes_with(f"sleep {marker}")) < 2 and time.monotonic() < deadline:
            server.wait_for(lambda: False, 0.05)
        assert len(processes_with(f"sleep {marker}")) >= 2, "the command did not start"
        cancelled = server.request("workspace/executeCommand", {"command": "openagent.chat.cancel",
                                   "arguments": [{"conversationId": "stubborn"}]})
        assert cancelled["result"]["cancelled"] is True
        reply = server.wait_response(msg_id, 60)  # the turn ends: not a hang on a process that ignores TERM
        result = reply["result"]
        assert result["cancelled"] or not result["ok"], result
        deadline = time.monotonic() + 30
        while processes_with(f"sleep {marker}") and time.monotonic() < deadline:
            server.wait_for(lambda: False, 0.05)
        assert processes_with(f"sleep {marker}") == []  # both sleeps, the background one too
        assert server.alive() and "result" in server.request("openagent/status", {})
    finally:
        server.close()
        for pid in processes_with(f"sleep {marker}"):  # only if the assertion above failed
            os.kill(pid, 9)
