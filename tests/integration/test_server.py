"""End-to-end: the real server over stdio, a pytest-lsp client, and the tiny model on disk."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from tests.integration.conftest import PY_CURSOR, PY_SOURCE
from tests.support.editor import Editor


async def status(s: Editor) -> dict[str, Any]:
    return await s.status()


async def test_vscode_shape_gets_inline_completion_only(make_session: Any) -> None:
    s = await make_session("vscode", wait=False)
    caps = s.init_result.capabilities
    assert caps.inline_completion_provider is not None
    assert caps.completion_provider is None
    assert caps.execute_command_provider is not None
    assert "openagent.completion.accepted" in caps.execute_command_provider.commands
    assert caps.position_encoding in (None, types.PositionEncodingKind.Utf16)
    assert caps.text_document_sync.change == types.TextDocumentSyncKind.Incremental


async def test_neovim_shape_gets_the_completion_fallback(make_session: Any) -> None:
    s = await make_session("neovim", wait=False)
    caps = s.init_result.capabilities
    assert caps.inline_completion_provider is None
    assert caps.completion_provider is not None
    # Neovim prefers utf-8; the server answers in UTF-16, which every client supports.
    assert caps.position_encoding == types.PositionEncodingKind.Utf16


async def test_inline_completion_returns_an_item_at_the_cursor(session: Editor) -> None:
    uri = session.open_file("a.py", PY_SOURCE)
    result = await session.inline(uri, PY_CURSOR)
    assert len(result.items) == 1
    item = result.items[0]
    assert isinstance(item.insert_text, str) and item.insert_text.strip()
    assert item.range == types.Range(start=PY_CURSOR, end=PY_CURSOR)
    assert item.command is not None and item.command.command == "openagent.completion.accepted"
    await session.client.workspace_execute_command_async(types.ExecuteCommandParams(
        command=item.command.command, arguments=item.command.arguments))
    counters = (await status(session))["completion"]
    assert counters["accepted"] == 1 and counters["model_calls"] == 1


async def test_same_request_again_is_served_without_the_model(session: Editor) -> None:
    uri = session.open_file("a.py", PY_SOURCE)
    first = await session.inline(uri, PY_CURSOR)
    second = await session.inline(uri, PY_CURSOR)
    # Same text, possibly extended by lines generated in the background after the first line returned.
    assert second.items[0].insert_text.startswith(first.items[0].insert_text)
    counters = (await status(session))["completion"]
    assert counters["model_calls"] == 1
    assert counters["cache_hits"] + counters["typed_hits"] == 1


async def test_typing_as_suggested_needs_no_model_call(session: Editor) -> None:
    uri = session.open_file("a.py", PY_SOURCE)
    first = await session.inline(uri, PY_CURSOR)
    suggestion = first.items[0].insert_text
    assert isinstance(suggestion, str) and len(suggestion) >= 2
    typed = suggestion[:2]
    assert "\n" not in typed  # on a blank line the suggestion starts where the cursor is
    session.client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(start=PY_CURSOR, end=PY_CURSOR), text=typed)]))
    cursor = types.Position(line=1, character=PY_CURSOR.character + len(typed))
    second = await session.inline(uri, cursor, invoked=False)
    # The rest of what was shown, possibly extended by lines the background generation added since.
    assert second.items and second.items[0].insert_text.startswith(suggestion[2:])
    counters = (await status(session))["completion"]
    assert counters["model_calls"] == 1 and counters["typed_hits"] == 1


async def test_completion_fallback_for_clients_without_inline(make_session: Any) -> None:
    s = await make_session("neovim")
    uri = s.open_file("a.py", PY_SOURCE)
    result = await s.client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=PY_CURSOR,
        context=types.CompletionContext(trigger_kind=types.CompletionTriggerKind.Invoked)))
    assert isinstance(result, types.CompletionList) and result.items
    edit = result.items[0].text_edit
    assert isinstance(edit, types.TextEdit) and edit.range.end == PY_CURSOR and edit.new_text.strip()


async def test_status_reports_version_model_and_counters(session: Editor) -> None:
    data = await status(session)
    assert data["version"] == "0.1.0"
    assert data["model"]["state"] == "ready" and data["model"]["load_seconds"] >= 0
    assert data["backend"] == "transformers"
    assert data["uptimeSeconds"] > 0
    assert any(r["method"] == "openagent/status" for r in data["requests"])


async def test_progress_is_reported_while_the_model_loads(make_session: Any) -> None:
    s = await make_session()
    kinds = [getattr(p, "kind", None) for p in s.progress]
    assert kinds[0] == "begin" and kinds[-1] == "end" and "report" in kinds
    percents = [p.percentage for p in s.progress if getattr(p, "kind", None) == "report"]
    assert percents[-1] == 100


async def test_bad_initialization_options_are_reported_and_the_server_keeps_running(make_session: Any) -> None:
    s = await make_session(options={"completion": {"debounceMs": "soon"}, "precision": "fp9"})
    errors = [m.message for m in s.messages if m.type == types.MessageType.Error]
    assert any("precision" in m for m in errors), errors
    assert (await status(s))["model"]["state"] == "ready"


async def test_invalid_configuration_change_keeps_the_previous_one(session: Editor) -> None:
    session.client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"openagent": {"completion": {"maxNewTokens": -3}}}))
    uri = session.open_file("a.py", PY_SOURCE)
    result = await session.inline(uri, PY_CURSOR)
    assert result.items  # still completing with the previous settings
    assert any("max_new_tokens" in m.message for m in session.messages)
    session.client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"openagent": {"completion": {"enabled": False}}}))
    other = session.open_file("b.py", PY_SOURCE)
    assert not (await session.inline(other, PY_CURSOR)).items


async def test_unopened_document_is_a_jsonrpc_error_and_the_server_lives(session: Editor) -> None:
    with pytest.raises(JsonRpcException) as info:
        await session.inline((session.root / "never-opened.py").as_uri(), PY_CURSOR)
    assert info.value.code == -32602 and "not open" in info.value.message
    assert (await status(session))["model"]["state"] == "ready"


async def test_completion_before_the_model_is_ready_answers_empty_at_once(make_session: Any, tmp_path: Any) -> None:
    # A model that can never load: the answer must still come, empty, and status says why.
    s = await make_session(wait=False, model=str(tmp_path / "missing.gguf"))
    uri = s.open_file("a.py", PY_SOURCE)
    result = await asyncio.wait_for(s.inline(uri, PY_CURSOR), 10)
    assert not result.items
    # "idle" comes before the load starts: wait until the load has ended, whichever way.
    data = await s.wait_for_status(lambda data: data["model"]["state"] not in ("idle", "loading"))
    assert data["model"]["state"] == "error" and "not found" in data["model"]["error"]


async def test_cancel_request_stops_the_generation(make_session: Any) -> None:
    # The held server keeps the generation running until the cancel arrives, however fast the CPU.
    s = await make_session(hold_after_pieces=0, OPENAGENT_COMPLETION__EARLY_FIRST_LINE="false")
    uri = s.open_file("a.py", "def add(a, b):\n    return a\n\n\nresult = add(\n")
    future = asyncio.ensure_future(s.client.protocol.send_request_async(
        types.TEXT_DOCUMENT_INLINE_COMPLETION, msg_id="to-cancel", params=
        types.InlineCompletionParams(text_document=types.TextDocumentIdentifier(uri=uri),
                                     position=types.Position(line=4, character=13),
                                     context=types.InlineCompletionContext(
                                         trigger_kind=types.InlineCompletionTriggerKind.Invoked))))
    await s.wait_for_status(lambda data: data["completion"]["model_calls"] == 1)  # the model is running
    s.client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="to-cancel"))
    with pytest.raises(JsonRpcException) as info:
        await future
    assert info.value.code == -32800  # RequestCancelled
    data = await s.wait_for_status(lambda data: bool((data.get("lastGeneration") or {}).get("stoppedBy")))
    assert data["completion"]["cancelled"] == 1
    assert data["lastGeneration"]["stoppedBy"] == "cancelled"


async def test_newer_request_supersedes_older_one(make_session: Any) -> None:
    # Both requests leave back to back: the first is still in its (long) debounce when the second arrives.
    s = await make_session(OPENAGENT_COMPLETION__DEBOUNCE_MS="1500")
    uri = s.open_file("a.py", PY_SOURCE)
    first = asyncio.ensure_future(s.inline(uri, PY_CURSOR, invoked=False))
    second = asyncio.ensure_future(s.inline(uri, PY_CURSOR, invoked=False))
    a, b = await asyncio.gather(first, second)
    assert not a.items and b.items
    counters = (await status(s))["completion"]
    assert counters["superseded"] == 1 and counters["model_calls"] == 1
