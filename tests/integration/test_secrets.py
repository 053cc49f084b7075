"""Secrets never leave: planted in the environment, the workspace (.env, source) and tool output, then
everything that left the server is captured — the HTTP bodies a model server on another host received,
stderr, window/logMessage and window/showMessage, JSON-RPC errors, chat history shown back, the audit log
— and none of them holds a secret. What the agent writes to the user's files is written exactly."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.fake_backend import Behaviour, FakeBackend, non_loopback_address
from tests.support.lsp import server_env
from tests.support.raw_lsp import start_initialized, wait_model

pytestmark = pytest.mark.timeout(300)

GITHUB_TOKEN = "ghp_R3alLook1ngT0kenAbCdEfGhIjKlMnOpQrSt12"
AWS_KEY = "AKIAQWERTYUIOPASDFGH"
JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTQyIiwiYWRtaW4iOnRydWV9."
       "c2lnbmF0dXJlLW9mLXRoZS10b2tlbi1oZXJl")
PRIVATE_KEY_BODY = "MIIEowIBAAKCAQEAq7BFUpkGp3+PlantedKeyMaterialXyZ"
ENV_TOKEN = "tok_live_9f8e7d6c5b4a3210abcd"
DB_PASSWORD = "S3cretPassw0rd42"
STRIPE = "sk_live_51HxAbCdEfGh1234567890"
PASSPHRASE = "correct-horse-battery-staple"
MYSQL_PASSWORD = "HunterTwo2024"
TOOL_SECRET = "glpat-Pl4ntedInToolOutput0123"
SECRETS = [GITHUB_TOKEN, AWS_KEY, JWT, PRIVATE_KEY_BODY, ENV_TOKEN, DB_PASSWORD, STRIPE, PASSPHRASE,
           MYSQL_PASSWORD, TOOL_SECRET]

CONFIG = f'''"""Settings of the demo service."""
AWS_ACCESS_KEY_ID = "{AWS_KEY}"
SESSION = "{JWT}"
DB = "mysql://root:{MYSQL_PASSWORD}@localhost/app"
KEY = """-----BEGIN RSA PRIVATE KEY-----
{PRIVATE_KEY_BODY}
-----END RSA PRIVATE KEY-----"""


def settings():
    return {{"region": "eu-west-1"}}
'''
WRITTEN = f"TOKEN = '{GITHUB_TOKEN}'\n"


def play_model(path: str, body: dict[str, Any]) -> str:
    """A scripted model behind real HTTP: reads a file, runs a command, writes a file, then answers."""
    if not path.endswith("/chat/completions"):
        return "    return {}\n"
    seen = " ".join(str(m.get("content", "")) for m in body.get("messages", []))
    if "Observation from files.read" not in seen:
        return '<tool_call>{"tool": "files.read", "args": {"path": "config.py"}}</tool_call>'
    if "Observation from shell.run" not in seen:
        # A command line that carries a secret: the audit records the command, masked.
        call = {"tool": "shell.run", "args": {"command": f"grep -v {AWS_KEY} notes.txt"}}
        return f"<tool_call>{json.dumps(call)}</tool_call>"
    if "Observation from files.write" not in seen:
        call = {"tool": "files.write", "args": {"path": "written.py", "content": WRITTEN}}
        return f"<tool_call>{json.dumps(call)}</tool_call>"
    return "Done: config.py holds the service settings."


@pytest.fixture
def remote_backend() -> Iterator[FakeBackend]:
    address = non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address to play a model server on another host")
    fake = FakeBackend(host=address, script=play_model)
    yield fake
    fake.close()


def approve(method: str, params: Any) -> Any:
    if method == "window/showMessageRequest":
        return {"title": "Run once"}
    if method == "workspace/applyEdit":
        return {"applied": False}
    return None


def test_planted_secrets_never_leave_the_server(tmp_path: Path, remote_backend: FakeBackend) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    (root / ".env").write_text(f"STRIPE_KEY={STRIPE}\nAPP_PASSPHRASE=\"{PASSPHRASE}\"\nDEBUG=true\n")
    (root / "config.py").write_text(CONFIG)
    (root / "notes.txt").write_text(f"deploy token: {TOOL_SECRET}\n")
    env = server_env(tmp_path, f"openai:{remote_backend.model}",
                     OPENAGENT_OPENAI_BASE_URL=remote_backend.openai_url, OPENAGENT_LOG_LEVEL="debug",
                     OPENAGENT_REQUEST_TIMEOUT_S="10", MY_SERVICE_TOKEN=ENV_TOKEN,
                     DATABASE_URL=f"postgres://admin:{DB_PASSWORD}@db.internal:5432/app")
    stderr = tmp_path / "server.stderr"
    server = start_initialized(env, root, stderr_path=stderr, answer=approve)
    replies: list[dict[str, Any]] = []
    try:
        assert wait_model(server)["model"]["state"] == "ready"
        uri = (root / "config.py").as_uri()
        server.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python",
                                                                "version": 1, "text": CONFIG}})
        lines = CONFIG.count("\n")
        replies.append(server.request("textDocument/inlineCompletion", {
            "textDocument": {"uri": uri}, "position": {"line": lines - 1, "character": 4},
            "context": {"triggerKind": 1}}, timeout=60))
        chat = server.request("workspace/executeCommand", {"command": "openagent.chat", "arguments": [{
            "message": f"My token is {GITHUB_TOKEN} and the DB password {DB_PASSWORD}; explain config.py",
            "uri": uri}]}, timeout=120)
        replies.append(chat)
        result = chat["result"]
        assert result["ok"], result
        assert [c["name"] for c in result["toolCalls"]] == ["files.read", "shell.run", "files.write"], result
        cid = result["conversationId"]
        replies.append(server.request("workspace/executeCommand", {"command": "openagent.chat.history",
                                                                   "arguments": [{"conversationId": cid}]}))
        replies.append(server.request("workspace/executeCommand", {"command": "openagent.chat.list",
                                                                   "arguments": []}))
        # A model server whose error quotes a secret back.
        remote_backend.behaviour = Behaviour(mode="garbage", garbage=f"bad gateway {STRIPE} {ENV_TOKEN}\n".encode())
        server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                      "contentChanges": [{"text": CONFIG + "\n\ndef other():\n    "}]})
        failed = server.request("textDocument/inlineCompletion", {
            "textDocument": {"uri": uri}, "position": {"line": lines + 3, "character": 4},
            "context": {"triggerKind": 1}}, timeout=60)
        replies.append(failed)
        assert failed["error"]["code"] == -32803 and "not a model's stream" in failed["error"]["message"]
        replies.append(server.request("openagent/status", {}))
        audit = server.request("openagent/audit", {"limit": 1000})
        replies.append(audit)
    finally:
        server.close()

    bodies = [r.body.decode("utf-8", "replace") for r in remote_backend.posts()]
    # The test is only as good as its traffic: the prompts really carried the code and the tool output.
    assert any("def settings" in b for b in bodies) and any("deploy token" in b for b in bodies)
    assert any("Observation from files.read" in b for b in bodies)
    editor = [json.dumps(n) for n in server.notifications if n["method"] in ("window/logMessage",
                                                                               "window/showMessage")]
    assert editor, "the server said nothing to the editor; the check below would prove nothing"
    # The audit log on disk: masked before its MACs were computed, so the chain still verifies.
    assert audit["result"]["verified"] is True, audit
    audit_text = "".join(p.read_text() for p in (tmp_path / "audit").glob("*.jsonl"))
    decisions = [json.loads(line) for line in audit_text.splitlines() if '"tool_decision"' in line]
    masked = "grep -v " + "*" * len(AWS_KEY) + " notes.txt"
    assert masked in [d["subject"] for d in decisions], decisions  # the command is still recognisable
    outlets = {
        "HTTP bodies to the model server": bodies,
        "stderr": [stderr.read_text(errors="replace")],
        "window/logMessage and window/showMessage": editor,
        "responses (errors, chat history, status, audit)": [json.dumps(r) for r in replies],
        "the audit log": [audit_text],
    }
    leaks = {name: [s for s in SECRETS if any(s in text for text in texts)] for name, texts in outlets.items()}
    assert all(not found for found in leaks.values()), leaks
    # Redaction never touches the user's files: the agent's write is exact.
    assert (root / "written.py").read_text() == WRITTEN
