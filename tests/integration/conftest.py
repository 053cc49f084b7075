from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest_asyncio
from lsprotocol import types

from tests.support.editor import Editor
from tests.support.lsp import HELD_SERVER_COMMAND, SCRIPTED_SERVER_COMMAND, SERVER_COMMAND, server_env, start_client

PY_SOURCE = "def add(a, b):\n    \n"
PY_CURSOR = types.Position(line=1, character=4)


@pytest_asyncio.fixture
async def make_session(tmp_path: Path, tiny_model_dir: Path) -> AsyncIterator[Callable[..., Any]]:
    sessions: list[Editor] = []

    async def factory(shape: str = "vscode", options: Any = None, wait: bool = True, root: Path | None = None,
                      hold_after_pieces: int | None = None, script: Path | None = None, **env: str) -> Editor:
        """``hold_after_pieces``: run the held server, whose generations wait for their cancel after
        that many pieces (tests of cancellation then never race the model). ``script``: run the server
        whose model answers from this JSON list of outputs (tests/support/scripted_server.py)."""

        if root is None:
            root = tmp_path / f"ws{len(sessions)}"
            root.mkdir()
        base = {"OPENAGENT_PRECISION": "fp32"}
        command = SERVER_COMMAND
        if hold_after_pieces is not None:
            base["OPENAGENT_TEST_HOLD_AFTER_PIECES"] = str(hold_after_pieces)
            command = HELD_SERVER_COMMAND
        if script is not None:
            base["OPENAGENT_TEST_SCRIPT"] = str(script)
            command = SCRIPTED_SERVER_COMMAND
        base.update(env)
        client = await start_client(server_env(tmp_path, base.pop("model", tiny_model_dir), **base), command)
        session = Editor(client, root)
        sessions.append(session)
        await session.initialize(shape, options)
        if wait:
            status = await session.wait_ready()
            assert status["model"]["state"] == "ready", status
        return session

    yield factory
    for s in sessions:
        await _close(s)


@pytest_asyncio.fixture
async def session(make_session: Callable[..., Any]) -> Editor:
    return await make_session()


async def _close(s: Editor) -> None:
    await s.stop()
