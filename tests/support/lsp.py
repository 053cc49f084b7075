"""How the tests start the real server: its environment, a real client's capabilities, pytest-lsp."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

SERVER_COMMAND = [sys.executable, "-m", "openagent_lsp"]
# The real server whose model holds each generation until it is cancelled (tests of cancellation).
HELD_SERVER_COMMAND = [sys.executable, str(Path(__file__).with_name("held_server.py"))]
# The real server whose model is a script of outputs (a prompt-injected model, exactly as scripted).
SCRIPTED_SERVER_COMMAND = [sys.executable, str(Path(__file__).with_name("scripted_server.py"))]


def server_env(tmp: Path, model: str | Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAGENT_")}
    env.update({
        "OPENAGENT_MODEL": str(model),
        "OPENAGENT_MODEL_CACHE_DIR": str(tmp / "model-cache"),
        "OPENAGENT_DATABASE_URL": str(tmp / "state.sqlite3"),
        "OPENAGENT_COMPLETION__DEBOUNCE_MS": "0",
        "OPENAGENT_LOG_LEVEL": "warning",
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra)
    return env


def capabilities(shape: str) -> types.ClientCapabilities:
    """``vscode``: VS Code with vscode-languageclient 11 (inline completion); ``neovim``: no inline;
    ``minimal``: inline completion and progress only (what the start-up benchmark compares)."""
    if shape == "vscode":
        caps = client_capabilities("visual-studio-code")
        assert caps.text_document is not None
        caps.text_document.inline_completion = types.InlineCompletionClientCapabilities(
            dynamic_registration=True
        )
        return caps
    if shape == "neovim":
        caps = client_capabilities("neovim@v0.11.0")
        if caps.text_document is not None:
            caps.text_document.inline_completion = None
        return caps
    if shape == "minimal":
        return types.ClientCapabilities(
            text_document=types.TextDocumentClientCapabilities(inline_completion=types.InlineCompletionClientCapabilities()),
            window=types.WindowClientCapabilities(work_done_progress=True),
        )
    raise ValueError(shape)


async def start_client(env: dict[str, str], command: list[str] = SERVER_COMMAND) -> LanguageClient:
    config = ClientServerConfig(server_command=command, server_env=env)
    client = await config.start()
    assert isinstance(client, LanguageClient)
    return client


def to_plain(obj: Any) -> Any:
    """A result as plain dicts and lists, whether the client decoded it into attrs classes or not."""
    if isinstance(obj, dict):
        return {k: to_plain(v) for k, v in obj.items()}
    if hasattr(obj, "_asdict"):
        return {k: to_plain(v) for k, v in obj._asdict().items()}
    if isinstance(obj, list | tuple):
        return [to_plain(v) for v in obj]
    if hasattr(obj, "__dict__"):
        return {k: to_plain(v) for k, v in vars(obj).items()}
    return obj
