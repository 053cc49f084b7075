"""textDocument/inlineCompletion (LSP 3.18) and the textDocument/completion fallback.

Registered at initialize from the client's capabilities: a client with inline completion gets only
that; one without gets the completion fallback instead of both.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from openagent_lsp.context.text import utf16_len
from openagent_lsp.errors import GenerationCancelled, InvalidInputError, OpenAgentError
from openagent_lsp.server import convert, methods
from openagent_lsp.server.errors import guarded
from openagent_lsp.server.server import OpenAgentServer

if TYPE_CHECKING:
    from openagent_lsp.completion.pipeline import CompletionResult

_WORD_TAIL = re.compile(r"[A-Za-z0-9_]*$")


def register(server: OpenAgentServer) -> None:
    @server.command(methods.CMD_COMPLETION_ACCEPTED)
    async def accepted(ls: OpenAgentServer, *args: Any) -> None:
        info = args[0] if args and isinstance(args[0], dict) else {}
        ls.completions.record_accepted(str(info.get("uri", "")), str(info.get("text", "")),
                                       partial=info.get("partial") is True)


def register_for_client(server: OpenAgentServer) -> None:
    if "inlineCompletion" in server.client_features:
        _register_inline(server)
    else:
        _register_fallback(server)


def _accept_command(uri: str, result_id: str, text: str) -> types.Command:
    return types.Command(title="OpenAgent: suggestion accepted", command=methods.CMD_COMPLETION_ACCEPTED,
                         arguments=[{"uri": uri, "id": result_id, "text": text}])


async def _complete(ls: OpenAgentServer, uri: str, position: types.Position, trigger: int) -> CompletionResult:
    try:
        return await ls.completions.complete(uri, convert.position(position), trigger)
    except (InvalidInputError, GenerationCancelled):
        raise
    except OpenAgentError as exc:
        # Editors rarely show a failed completion request: say it once (a backend that is down fails on
        # every keystroke), and keep it in openagent/status as the last error.
        ls.notify_user_once(f"completions failed: {exc}")
        raise


def _register_inline(server: OpenAgentServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
    @guarded("inlineCompletion")
    async def inline_completion(
        ls: OpenAgentServer, params: types.InlineCompletionParams
    ) -> types.InlineCompletionList:
        uri = params.text_document.uri
        trigger = int(params.context.trigger_kind) if params.context else 2
        result = await _complete(ls, uri, params.position, trigger)
        if not result.text:
            return types.InlineCompletionList(items=[])
        ls.completions.record_shown()
        cursor = params.position
        item = types.InlineCompletionItem(
            insert_text=result.text,
            range=types.Range(start=cursor, end=cursor),
            command=_accept_command(uri, result.id, result.text),
        )
        return types.InlineCompletionList(items=[item])


def _register_fallback(server: OpenAgentServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=[".", "(", " "]))
    @guarded("completion")
    async def completion(ls: OpenAgentServer, params: types.CompletionParams) -> types.CompletionList:
        uri = params.text_document.uri
        invoked = params.context is not None and params.context.trigger_kind == types.CompletionTriggerKind.Invoked
        result = await _complete(ls, uri, params.position, 1 if invoked else 2)
        if not result.text:
            return types.CompletionList(is_incomplete=True, items=[])
        doc = ls.documents.get(uri)
        line_prefix = doc.text[: result.offset].rsplit("\n", 1)[-1]
        word = _WORD_TAIL.search(line_prefix)
        word_text = word.group(0) if word else ""
        start = types.Position(line=params.position.line,
                               character=params.position.character - utf16_len(word_text))
        new_text = word_text + result.text
        first_line = result.text.strip().splitlines()[0] if result.text.strip() else result.text
        ls.completions.record_shown()
        item = types.CompletionItem(
            label=(word_text + first_line)[:80] or first_line,
            kind=types.CompletionItemKind.Snippet,
            detail="OpenAgent",
            documentation=types.MarkupContent(kind=types.MarkupKind.Markdown, value=f"```\n{new_text}\n```"),
            filter_text=new_text,
            sort_text="0",
            text_edit=types.TextEdit(range=types.Range(start=start, end=params.position), new_text=new_text),
            insert_text_format=types.InsertTextFormat.PlainText,
            command=_accept_command(uri, result.id, result.text),
        )
        return types.CompletionList(is_incomplete=True, items=[item])
