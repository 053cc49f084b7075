from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest_asyncio
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.support.lsp import (
    HELD_SERVER_COMMAND,
    SCRIPTED_SERVER_COMMAND,
    SERVER_COMMAND,
    initialize,
    server_env,
    start_client,
)

PY_SOURCE = "def add(a, b):\n    \n"
PY_CURSOR = types.Position(line=1, character=4)


class Session:
    """A started server plus helpers; records what the server sent to the editor."""

    def __init__(self, client: LanguageClient, root: Path) -> None:
        self.client = client
        self.root = root
        self.deltas: list[Any] = []
        self.prompts: list[types.ShowMessageRequestParams] = []
        self.answer: Callable[[types.ShowMessageRequestParams], Any] = lambda _p: None
        self.applied_edits: list[types.ApplyWorkspaceEditParams] = []

        @client.feature("openagent/chat/delta")
        def on_delta(params: Any) -> None:
            self.deltas.append(params)

        @client.feature("openagent/statusChanged")
        def on_status(_params: Any) -> None:
            return None

        @client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
        async def on_prompt(params: types.ShowMessageRequestParams) -> Any:
            self.prompts.append(params)
            result = self.answer(params)
            if hasattr(result, "__await__"):
                result = await result
            return result

        @client.feature(types.WORKSPACE_APPLY_EDIT)
        def on_apply(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
            self.applied_edits.append(params)
            return types.ApplyWorkspaceEditResult(applied=True)

    @property
    def messages(self) -> list[types.ShowMessageParams]:
        return self.client.messages

    @property
    def progress(self) -> list[Any]:
        return [report for reports in self.client.progress_reports.values() for report in reports]

    async def request(self, method: str, params: Any = None) -> Any:
        return await self.client.protocol.send_request_async(method, params if params is not None else {})

    def open(self, name: str, text: str, language_id: str = "python") -> str:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        uri = path.as_uri()
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id=language_id, version=1, text=text)))
        return uri

    async def inline(self, uri: str, position: types.Position, invoked: bool = True) -> types.InlineCompletionList:
        kind = types.InlineCompletionTriggerKind.Invoked if invoked else types.InlineCompletionTriggerKind.Automatic
        result = await self.client.text_document_inline_completion_async(types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=position,
            context=types.InlineCompletionContext(trigger_kind=kind)))
        assert isinstance(result, types.InlineCompletionList)
        return result


@pytest_asyncio.fixture
async def make_session(tmp_path: Path, tiny_model_dir: Path) -> AsyncIterator[Callable[..., Any]]:
    sessions: list[Session] = []

    async def factory(shape: str = "vscode", options: Any = None, wait: bool = True, root: Path | None = None,
                      hold_after_pieces: int | None = None, script: Path | None = None, **env: str) -> Session:
        """``hold_after_pieces``: run the held server, whose generations wait for their cancel after
        that many pieces (tests of cancellation then never race the model). ``script``: run the server
        whose model answers from this JSON list of outputs (tests/support/scripted_server.py)."""
        from tests.support.lsp import wait_model_ready

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
        session = Session(client, root)
        sessions.append(session)
        session.init_result = await initialize(client, root, shape, options)
        if wait:
            status = await wait_model_ready(client)
            assert status["model"]["state"] == "ready", status
        return session

    yield factory
    for s in sessions:
        await _close(s)


@pytest_asyncio.fixture
async def session(make_session: Callable[..., Any]) -> Session:
    return await make_session()


async def _close(s: Session) -> None:
    try:
        await asyncio.wait_for(s.client.shutdown_session(), 10)
    except Exception:
        pass
    finally:
        await s.client.stop()
