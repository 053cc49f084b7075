"""Chat over LSP: ``openagent.chat`` streams ``openagent/chat/delta`` notifications with ``$/progress``
around them; the command's result is the final message. Cancel with ``openagent.chat.cancel``,
``$/cancelRequest`` or the progress Cancel button — each stops the generation, not just the reply."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.uris import to_fs_path

from openagent_lsp.assist.actions import find_target
from openagent_lsp.errors import InvalidInputError
from openagent_lsp.llm.base import CancelToken
from openagent_lsp.logging import get_logger
from openagent_lsp.server import methods
from openagent_lsp.server.app import OpenAgentServer
from openagent_lsp.server.errors import guarded
from openagent_lsp.server.services import require_llm, services

log = get_logger(__name__)

if TYPE_CHECKING:
    from openagent_lsp.assist.chat import ChatRequest, EditorSelection


def _chat_request(raw: Any) -> ChatRequest:
    # Imported on first use: the chat service pulls in the agent, tools and store.
    from openagent_lsp.assist.chat import ChatRequest

    return ChatRequest.parse(raw)


def register(server: OpenAgentServer) -> None:
    @server.command(methods.CMD_CHAT)
    @guarded(methods.CMD_CHAT)
    async def chat(ls: OpenAgentServer, *raw: Any) -> dict[str, Any]:
        request = _chat_request(raw[0] if raw else None)
        return await run_chat(ls, request)

    @server.command(methods.CMD_ASK)
    @guarded(methods.CMD_ASK)
    async def ask(ls: OpenAgentServer, *raw: Any) -> dict[str, Any]:
        args = raw[0] if raw and isinstance(raw[0], dict) else None
        if args is None or not str(args.get("question", "")).strip():
            raise InvalidInputError("openagent.ask expects {uri, range, question} with a non-empty question")
        request = _chat_request({"message": args["question"], "uri": args.get("uri"), "range": args.get("range"),
                                     "conversationId": args.get("conversationId")})
        return await run_chat(ls, request)

    @server.command(methods.CMD_EXPLAIN)
    @guarded(methods.CMD_EXPLAIN)
    async def explain(ls: OpenAgentServer, *raw: Any) -> dict[str, Any]:
        args = raw[0] if raw and isinstance(raw[0], dict) else None
        if args is None:
            raise InvalidInputError("openagent.explain expects {uri, range}")
        request = _chat_request({"message": "/explain", "uri": args.get("uri"), "range": args.get("range"),
                                     "conversationId": args.get("conversationId")})
        return await run_chat(ls, request)

    @server.command(methods.CMD_COMMIT_MESSAGE)
    @guarded(methods.CMD_COMMIT_MESSAGE)
    async def commit_message(ls: OpenAgentServer, *raw: Any) -> dict[str, Any]:
        return await run_chat(ls, _chat_request({"message": "/commit"}))

    @server.command(methods.CMD_CHAT_CANCEL)
    @guarded(methods.CMD_CHAT_CANCEL)
    async def cancel(ls: OpenAgentServer, *raw: Any) -> dict[str, Any]:
        args = raw[0] if raw and isinstance(raw[0], dict) else {}
        conversation_id = args.get("conversationId")
        if not isinstance(conversation_id, str):
            raise InvalidInputError("openagent.chat.cancel expects {conversationId}")
        return {"cancelled": services(ls).chat.cancel(conversation_id)}

    @server.command(methods.CMD_CHAT_LIST)
    @guarded(methods.CMD_CHAT_LIST)
    async def list_chats(ls: OpenAgentServer, *raw: Any) -> list[dict[str, Any]]:
        return await asyncio.to_thread(services(ls).chat.conversations)

    @server.command(methods.CMD_CHAT_HISTORY)
    @guarded(methods.CMD_CHAT_HISTORY)
    async def history(ls: OpenAgentServer, *raw: Any) -> list[dict[str, Any]]:
        args = raw[0] if raw and isinstance(raw[0], dict) else {}
        return await asyncio.to_thread(services(ls).chat.history, args.get("conversationId"))


def selection_for(ls: OpenAgentServer, request: ChatRequest) -> EditorSelection | None:
    from openagent_lsp.assist.chat import EditorSelection

    if not request.uri:
        return None
    doc = ls.documents.find(request.uri)
    if doc is None:
        path = to_fs_path(request.uri)
        if not path or not Path(path).is_file():
            raise InvalidInputError(f"uri: document not open and not a file: {request.uri}")
        text = Path(path).read_text(encoding="utf-8", errors="replace")
        return EditorSelection(request.uri, text[:20000], "")
    if request.range is None:
        return EditorSelection(request.uri, doc.text[:20000], doc.language_id)
    from openagent_lsp.assist.arguments import RangeArg

    rng = RangeArg.model_validate(request.range.model_dump()).domain()
    start, end = doc.offset_at(rng.start), doc.offset_at(rng.end)
    code = doc.text[start:end] if end > start else find_target(doc, rng).text
    return EditorSelection(request.uri, code, doc.language_id)


async def run_chat(ls: OpenAgentServer, request: ChatRequest) -> dict[str, Any]:
    llm = None if request.message.startswith("/run") else require_llm(ls)
    svc = services(ls)
    selection = selection_for(ls, request)
    cancel = CancelToken()
    proto = ls.protocol_stats
    unhook = proto.on_cancel(proto.current_request_id(), lambda: cancel.cancel("$/cancelRequest"))
    token = await _begin_progress(ls, cancel)
    seq = 0
    conversation: dict[str, str] = {"id": request.conversation_id or ""}

    def on_delta(text: str) -> None:
        nonlocal seq
        seq += 1
        ls.protocol.notify(methods.CHAT_DELTA, {"conversationId": conversation["id"], "seq": seq, "text": text})

    if not request.conversation_id:
        # The id must be known before the first delta: create it now.
        conversation["id"] = await asyncio.to_thread(svc.store.create_conversation, str(svc.workspace))
        request = request.model_copy(update={"conversation_id": conversation["id"]})
    conversation["id"] = request.conversation_id or conversation["id"]
    try:
        from openagent_lsp.tools.git import staged_diff

        result = await svc.chat.send(
            request, svc.agent(llm) if llm is not None else None, selection=selection, on_delta=on_delta,
            cancel=cancel, registry=svc.registry, guard=svc.guard,
            staged_diff=lambda: staged_diff(svc.workspace),
        )
    finally:
        unhook()
        if token is not None:
            ls.work_done_progress.end(token, types.WorkDoneProgressEnd(message="done"))
    return result.to_json()


async def _begin_progress(ls: OpenAgentServer, cancel: CancelToken) -> str | None:
    if "workDoneProgress" not in ls.client_features:
        return None
    token = f"openagent-chat-{uuid.uuid4().hex[:8]}"
    try:
        await ls.work_done_progress.create_async(token)
    except Exception as exc:
        log.warning("progress_unavailable", error=str(exc))
        return None
    ls.work_done_progress.begin(token, types.WorkDoneProgressBegin(title="OpenAgent", message="thinking…",
                                                                   cancellable=True))
    future = ls.work_done_progress.tokens.get(token)
    if future is not None:  # the Cancel button (window/workDoneProgress/cancel) cancels this future
        future.add_done_callback(lambda f: cancel.cancel("cancelled in the editor") if f.cancelled() else None)
    return token
