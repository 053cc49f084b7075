"""The agent part of the demo: explain, docstring and tests actions, chat questions, one approval."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from lsprotocol import types


def _field(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)


async def run_agent_parts(editor: Any, uri: str, workspace: Path, lines: list[str]) -> None:
    client = editor.client
    start = next(i for i, text in enumerate(lines) if text.startswith("def total_value"))
    selection = types.Range(start=types.Position(line=start, character=0),
                            end=types.Position(line=start + 2, character=len(lines[start + 2])))

    print("\n== code actions on the selection of total_value()", flush=True)
    started = time.perf_counter()
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=selection,
        context=types.CodeActionContext(diagnostics=[])))
    elapsed = (time.perf_counter() - started) * 1000
    print(f"   {len(actions or [])} actions listed in {elapsed:.1f} ms (no model call):", flush=True)
    for action in actions or []:
        print(f"     - {action.title}", flush=True)

    print("\n== \"Explain this code\" (the answer streams as openagent/chat/delta)\n   ", end="", flush=True)
    rng = {"start": {"line": selection.start.line, "character": 0},
           "end": {"line": selection.end.line, "character": selection.end.character}}
    started = time.perf_counter()
    result = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="openagent.explain", arguments=[{"uri": uri, "range": rng}]))
    print(f"\n   [first delta after {_field(result, 'firstDeltaMs')} ms, "
          f"answer complete after {(time.perf_counter() - started):.1f} s]", flush=True)

    restock = next(i for i, text in enumerate(lines) if text.startswith("def restock"))
    await show_action(editor, uri, restock + 1, "docstring", "\"Add docstring\" on restock()")
    pricing = workspace / "pricing.py"
    pricing_uri = editor.open(pricing.as_uri(), pricing.read_text())
    with_tax = next(i for i, text in enumerate(pricing.read_text().splitlines()) if text.startswith("def with_tax"))
    await show_action(editor, pricing_uri, with_tax + 1, "tests", "\"Write tests for this function\" on with_tax()")

    print("\n== chat: a question about the workspace\n   ", end="", flush=True)
    result = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="openagent.chat", arguments=[{"message": "Which function computes the tax?"}]))
    conversation_id = _field(result, "conversationId")
    print(f"\n   [conversation {conversation_id}, first delta after {_field(result, 'firstDeltaMs')} ms]", flush=True)
    print("\n== chat, same conversation: a question about the open file\n   ", end="", flush=True)
    result = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="openagent.chat",
        arguments=[{"message": "What does restock() raise when the item is missing?", "uri": uri,
                    "conversationId": conversation_id}]))
    print(f"\n   [first delta after {_field(result, 'firstDeltaMs')} ms]", flush=True)

    print("\n== a command that needs approval: /run python3 -c ... (interpreter one-liners always ask)", flush=True)
    command = '/run python3 -c "import pricing; print(pricing.with_tax(100.0))"'
    result = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="openagent.chat", arguments=[{"message": command, "conversationId": conversation_id}]))
    print(f"\n   command finished: ok={_field(result, 'ok')}", flush=True)

    audit = await client.protocol.send_request_async("openagent/audit", {"limit": 4})
    records = _field(audit, "records") or []
    print(f"\n== audit log: {_field(audit, 'path')} (hash chain verified: {_field(audit, 'verified')})", flush=True)
    for record in records[-4:]:
        print(f"   #{_field(record, 'seq')} {_field(record, 'event')}: {_field(record, 'subject')} "
              f"-> {_field(record, 'outcome') or _field(record, 'exit_code')}", flush=True)


async def show_action(editor: Any, uri: str, line: int, action_id: str, title: str) -> None:
    """List the code actions at ``line``, resolve one (the model computes the edit) and show the edit."""
    client = editor.client
    print(f"\n== {title}: codeAction/resolve computes the edit", flush=True)
    here = types.Position(line=line, character=4)
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=types.Range(start=here, end=here),
        context=types.CodeActionContext(diagnostics=[])))
    action = next(a for a in actions or [] if isinstance(a, types.CodeAction)
                  and _field(a.data, "action") == action_id)
    started = time.perf_counter()
    try:
        resolved = await client.code_action_resolve_async(action)
    except Exception as exc:  # the server answers an error a user can read; show it
        print(f"   the server answered: {exc}", flush=True)
        return
    print(f"   [edit computed in {time.perf_counter() - started:.1f} s]", flush=True)
    edit = resolved.edit
    if edit is None:
        print("   (no edit)", flush=True)
        return
    shown: list[tuple[str, Any]] = []
    for change in edit.document_changes or []:
        if isinstance(change, types.CreateFile):
            print(f"   creates {Path(change.uri).name}", flush=True)
        elif isinstance(change, types.TextDocumentEdit):
            shown += [(change.text_document.uri, e) for e in change.edits]
    for change_uri, edits in (edit.changes or {}).items():
        shown += [(change_uri, e) for e in edits]
    for change_uri, text_edit in shown:
        print(f"   {Path(change_uri).name}, line {text_edit.range.start.line + 1}:", flush=True)
        for text in text_edit.new_text.strip("\n").splitlines():
            print(f"    │ {text}", flush=True)
