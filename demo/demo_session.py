"""The agent part of the demo: "Explain this code" on a selection, one chat question, one approval."""

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

    print("\n== chat: one question about the workspace\n   ", end="", flush=True)
    result = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="openagent.chat",
        arguments=[{"message": "In one sentence: what does restock() do when the item is missing?",
                    "uri": uri}]))
    conversation_id = _field(result, "conversationId")
    print(f"\n   [conversation {conversation_id}, first delta after {_field(result, 'firstDeltaMs')} ms]", flush=True)

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
