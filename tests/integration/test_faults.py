"""Faults through the real server: a model server that is down, slow, garbage or truncated; a model that
cannot load (out of memory). The editor gets a clear error, the server stays alive, and a retry works."""

from __future__ import annotations

import json
import resource
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.fake_backend import Behaviour, FakeBackend
from tests.support.lsp import server_env
from tests.support.raw_lsp import RawServer, start_initialized, wait_model

pytestmark = pytest.mark.timeout(300)

SOURCE = "def total(items):\n    \n"


def remote_env(tmp: Path, backend: FakeBackend, **extra: str) -> dict[str, str]:
    return server_env(tmp, f"openai:{backend.model}", OPENAGENT_OPENAI_BASE_URL=backend.openai_url,
                      OPENAGENT_REQUEST_TIMEOUT_S="2", OPENAGENT_CHAT__MAX_NEW_TOKENS="16", **extra)


def open_doc(server: RawServer, root: Path, name: str = "a.py", text: str = SOURCE) -> str:
    uri = (root / name).as_uri()
    server.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1,
                                                            "text": text}})
    return uri


def inline(server: RawServer, uri: str, line: int = 1, character: int = 4) -> dict[str, Any]:
    return server.request("textDocument/inlineCompletion", {
        "textDocument": {"uri": uri}, "position": {"line": line, "character": character},
        "context": {"triggerKind": 1}}, timeout=60)


def shown_messages(server: RawServer) -> list[str]:
    return [n["params"]["message"] for n in list(server.notifications) if n["method"] == "window/showMessage"]


def wait_state(server: RawServer, state: str, timeout: float = 120.0) -> dict[str, Any]:
    """Poll openagent/status until the model reaches ``state`` (a retry starts asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        status = server.request("openagent/status", {})["result"]
        if status["model"]["state"] == state or time.monotonic() > deadline:
            return status
        server.wait_for(lambda: False, 0.1)


@pytest.fixture
def backend() -> Iterator[FakeBackend]:
    fake = FakeBackend(script=lambda _path, _body: "sum(items)\n")
    yield fake
    fake.close()


def test_a_misbehaving_model_server_gives_clear_errors_and_the_server_recovers(
    tmp_path: Path, backend: FakeBackend
) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    server = start_initialized(remote_env(tmp_path, backend), root, stderr_path=tmp_path / "stderr")
    try:
        assert wait_model(server)["model"]["state"] == "ready"
        uri = open_doc(server, root)
        reply = inline(server, uri)
        assert reply["result"]["items"][0]["insertText"].startswith("sum(items)")

        expected = {"garbage": "not a model's stream", "truncated": "ended before the answer was complete",
                    "hold": "did not answer within 2 s", "reset": "cannot reach"}
        for n, (mode, words) in enumerate(expected.items()):
            backend.behaviour = Behaviour(mode=mode)
            # A new line each time, so no cached suggestion answers instead of the backend.
            server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": n + 2},
                          "contentChanges": [{"text": f"def total{n}(items):\n    \n"}]})
            reply = inline(server, uri)
            assert reply["error"]["code"] == -32803 and words in reply["error"]["message"], (mode, reply)
            status = server.request("openagent/status", {})["result"]
            assert words in status["lastError"]
        # Each distinct failure is shown once in the editor, not on every keystroke.
        failures = [m for m in shown_messages(server) if "completions failed" in m]
        assert len(failures) == len(expected), failures
        backend.behaviour = Behaviour(mode="garbage")
        server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 20},
                      "contentChanges": [{"text": "def again(items):\n    \n"}]})
        assert "error" in inline(server, uri)
        assert len([m for m in shown_messages(server) if "completions failed" in m]) == len(expected)

        # Chat against a silent server: an answer with the error, within the timeout, not a hang.
        backend.behaviour = Behaviour(mode="hold")
        reply = server.request("workspace/executeCommand", {"command": "openagent.chat",
                               "arguments": [{"message": "what does total do?"}]}, timeout=120)
        result = reply.get("result") or {}
        assert result.get("ok") is False and "did not answer within 2 s" in result.get("error", ""), reply

        backend.behaviour = Behaviour(mode="ok")
        server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 30},
                      "contentChanges": [{"text": "def ok(items):\n    \n"}]})
        assert inline(server, uri)["result"]["items"][0]["insertText"].startswith("sum(items)")
        assert server.alive()
    finally:
        server.close()


def test_a_model_server_down_at_start_is_reported_and_loading_is_retried(tmp_path: Path) -> None:
    first = FakeBackend()
    port = first.port
    first.close()  # nothing listens there now
    env = server_env(tmp_path, "openai:fake-model", OPENAGENT_OPENAI_BASE_URL=f"http://127.0.0.1:{port}/v1",
                     OPENAGENT_REQUEST_TIMEOUT_S="2")
    root = tmp_path / "ws"
    root.mkdir()
    server = start_initialized(env, root, stderr_path=tmp_path / "stderr")
    backend: FakeBackend | None = None
    try:
        status = wait_model(server)
        assert status["model"]["state"] == "error" and "cannot reach" in status["model"]["error"]
        assert server.wait_for(lambda: any("model failed to load" in m for m in shown_messages(server)), 30)
        # Chat says why instead of hanging.
        reply = server.request("workspace/executeCommand", {"command": "openagent.chat",
                               "arguments": [{"message": "hello"}]}, timeout=60)
        assert reply["error"]["code"] == -32803 and "failed to load" in reply["error"]["message"]
        # The server comes up; sending the configuration again retries the load.
        backend = FakeBackend(port_wanted=port)
        server.notify("workspace/didChangeConfiguration", {"settings": {}})
        assert wait_state(server, "ready")["model"]["state"] == "ready"
    finally:
        server.close()
        if backend is not None:
            backend.close()


def _medium_model(tiny: Path, folder: Path) -> Path:
    """The tiny model's tokenizer with ~70 MB of weights: enough to fail under a tight address-space limit."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    shutil.copytree(tiny, folder)
    config = LlamaConfig.from_pretrained(tiny)
    config.hidden_size, config.intermediate_size, config.num_hidden_layers = 512, 2048, 4
    config.num_attention_heads, config.num_key_value_heads = 8, 4
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(folder)
    return folder


def _vm_size(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmSize")


def test_out_of_memory_while_loading_is_shown_and_a_retry_loads(tmp_path: Path, tiny_model_dir: Path) -> None:
    medium = _medium_model(tiny_model_dir, tmp_path / "medium")
    root = tmp_path / "ws"
    root.mkdir()
    env = server_env(tmp_path, tiny_model_dir, OPENAGENT_PRECISION="fp32")
    server = start_initialized(env, root, stderr_path=tmp_path / "stderr")
    try:
        assert wait_model(server)["model"]["state"] == "ready"  # torch and transformers are imported now
        soft, hard = resource.prlimit(server.pid, resource.RLIMIT_AS)
        # Room for a thread or two, not for 70 MB of weights: a real allocation failure in the server.
        resource.prlimit(server.pid, resource.RLIMIT_AS, (_vm_size(server.pid) + 24 * 1024 * 1024, hard))
        server.notify("workspace/didChangeConfiguration", {"settings": {"model": str(medium)}})
        status = wait_state(server, "error")
        assert status["model"]["state"] == "error", status["model"]
        assert "not enough memory" in status["model"]["error"], status["model"]["error"]
        assert server.wait_for(lambda: any("not enough memory" in m for m in shown_messages(server)), 30)
        resource.prlimit(server.pid, resource.RLIMIT_AS, (soft, hard))
        assert "result" in server.request("openagent/status", {})  # alive and serving
        server.notify("workspace/didChangeConfiguration", {"settings": {"model": str(medium)}})
        assert wait_state(server, "ready")["model"]["state"] == "ready"
    finally:
        server.close()
    assert json.dumps(status)  # the figures printed by the report come from this status


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare")
def test_a_full_disk_loses_no_answer_and_the_history_says_so(tmp_path: Path, tiny_model_dir: Path) -> None:
    import subprocess
    import sys

    if subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "true"]).returncode != 0:
        pytest.skip("user namespaces unavailable")
    state = tmp_path / "state"
    state.mkdir()
    root = tmp_path / "ws"
    root.mkdir()
    env = server_env(tmp_path, tiny_model_dir, OPENAGENT_PRECISION="fp32",
                     OPENAGENT_DATABASE_URL=str(state / "history.sqlite3"), OPENAGENT_CHAT__MAX_NEW_TOKENS="4",
                     OPENAGENT_CHAT__CONTEXT_BUDGET_TOKENS="256",
                     PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    command = ["unshare", "--user", "--map-root-user", "--mount", sys.executable, "-m",
               "tests.support.confined_server", str(state), "384k"]
    server = start_initialized(env, root, command=command, stderr_path=tmp_path / "stderr")
    try:
        assert wait_model(server)["model"]["state"] == "ready"
        conversation = "full-disk"
        saved_turns = 0
        failed: dict[str, Any] = {}
        for _ in range(40):
            reply = server.request("workspace/executeCommand", {"command": "openagent.chat", "arguments": [
                {"message": "y" * 60_000, "conversationId": conversation}]}, timeout=120)
            result = reply["result"]
            if result["historyError"]:
                failed = result
                break
            saved_turns += 1
        assert failed, "the disk never filled"
        assert failed["ok"] and failed["text"], failed  # the answer reached the editor all the same
        assert "the disk is full" in failed["historyError"]
        assert server.wait_for(lambda: any("disk is full" in m for m in shown_messages(server)), 30)
        history = server.request("workspace/executeCommand", {"command": "openagent.chat.history",
                                 "arguments": [{"conversationId": conversation}]})["result"]
        assert len(history) >= 2 * saved_turns and saved_turns >= 1  # what was saved is still there
        assert "result" in server.request("openagent/status", {})
    finally:
        server.close()


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare")
def test_a_full_disk_runs_no_command_without_its_audit_record(tmp_path: Path) -> None:
    import subprocess
    import sys

    if subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "true"]).returncode != 0:
        pytest.skip("user namespaces unavailable")
    state, root, triggers = tmp_path / "state", tmp_path / "ws", tmp_path / "triggers"
    for folder in (state, root, triggers):
        folder.mkdir()
    env = server_env(tmp_path, "unused", OPENAGENT_PRELOAD_MODEL="false",
                     OPENAGENT_DATABASE_URL=str(state / "history.sqlite3"),
                     PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    command = ["unshare", "--user", "--map-root-user", "--mount", sys.executable, "-m",
               "tests.support.confined_server", str(state), "1m", str(triggers)]
    server = start_initialized(env, root, command=command, stderr_path=tmp_path / "stderr",
                               answer=lambda m, _p: {"title": "Run once"} if m == "window/showMessageRequest" else None)

    def run(name: str) -> dict[str, Any]:
        return server.request("workspace/executeCommand", {"command": "openagent.chat", "arguments": [
            {"message": f"/run touch {name}", "conversationId": "audit-full"}]}, timeout=120)["result"]

    def fault(name: str) -> None:
        (triggers / name).touch()
        assert server.wait_for(lambda: (triggers / f"{name}.done").exists(), 60), f"{name} was not applied"

    try:
        assert run("before")["ok"] and (root / "before").exists()  # commands do run here
        fault("fill")
        refused: dict[str, Any] = {}
        for n in range(8):  # the log's last page may still take a record or two
            result = run(f"full-{n}")
            if not (root / f"full-{n}").exists():
                refused = result
                break
            assert result["ok"], result
        assert refused, "every command ran on a full disk"
        assert not refused["ok"] and "the audit log cannot be written, so nothing runs" in refused["error"]
        assert "the disk is full" in refused["error"], refused
        assert server.alive() and "result" in server.request("openagent/status", {})
        fault("free")
        assert run("after")["ok"] and (root / "after").exists()
        audit = server.request("openagent/audit", {"limit": 1000})["result"]
        assert audit["verified"] is True, audit
    finally:
        server.close()
