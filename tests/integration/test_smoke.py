from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from tests.support.lsp import initialize, server_env, start_client, wait_model_ready


async def test_inline_completion_end_to_end(tmp_path: Path, tiny_model_dir: Path) -> None:
    client = await start_client(server_env(tmp_path, tiny_model_dir))
    try:
        result = await initialize(client, tmp_path)
        assert result.capabilities.inline_completion_provider is not None
        status = await wait_model_ready(client)
        assert status["model"]["state"] == "ready", status
        uri = (tmp_path / "a.py").as_uri()
        client.text_document_did_open(types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1,
                                                 text="def add(a, b):\n    return \n")))
        reply = await client.text_document_inline_completion_async(types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=1, character=11),
            context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked)))
        print(reply)
        assert reply is not None
    finally:
        await client.shutdown_session()
        await client.stop()
