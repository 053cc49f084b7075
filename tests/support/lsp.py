"""Start the real server as a subprocess and drive it with a pytest-lsp client."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

SERVER_COMMAND = [sys.executable, "-m", "openagent_lsp"]
# The real server whose model holds each generation until it is cancelled (tests of cancellation).
HELD_SERVER_COMMAND = [sys.executable, "-m", "tests.support.held_server"]
# The real server whose model is a script of outputs (a prompt-injected model, exactly as scripted).
SCRIPTED_SERVER_COMMAND = [sys.executable, "-m", "tests.support.scripted_server"]


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
    """``vscode``: VS Code with vscode-languageclient 11 (inline completion); ``neovim``: no inline."""
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
    raise ValueError(shape)


async def start_client(env: dict[str, str], command: list[str] = SERVER_COMMAND) -> LanguageClient:
    config = ClientServerConfig(server_command=command, server_env=env)
    client = await config.start()
    assert isinstance(client, LanguageClient)
    return client


async def initialize(
    client: LanguageClient, root: Path, shape: str = "vscode", options: Any = None
) -> types.InitializeResult:
    return await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities(shape),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
            initialization_options=options,
        )
    )


async def wait_model_ready(client: LanguageClient, timeout: float = 60.0) -> dict[str, Any]:
    import asyncio
    import time

    deadline = time.monotonic() + timeout
    while True:
        status = await client.protocol.send_request_async("openagent/status", {})
        state = _get(status, "model", "state")
        if state in ("ready", "error") or time.monotonic() > deadline:
            return _to_dict(status)
        await asyncio.sleep(0.1)


def _get(obj: Any, *keys: str) -> Any:
    for key in keys:
        obj = obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)
    return obj


def _to_dict(obj: Any) -> dict[str, Any]:
    if isinstance(obj, dict):
        return obj
    if hasattr(obj, "_asdict"):
        return {k: _to_dict(v) for k, v in obj._asdict().items()}
    if isinstance(obj, list | tuple):
        return [_to_dict(v) for v in obj]
    if hasattr(obj, "__dict__"):
        return {k: _to_dict(v) for k, v in vars(obj).items()}
    return obj
